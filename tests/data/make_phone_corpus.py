#!/usr/bin/env python3
"""Generate tests/data/phone_corpus.tsv, a phone-number normalisation corpus
produced by the reference implementation (Google's libphonenumber through its
Python port `phonenumbers`).

Regenerate with:

    pip install phonenumbers==9.0.42    # in a venv
    python3 tests/data/make_phone_corpus.py

9.0.42 is the metadata release that the Rust crate `rlibphonenumber` 2.2.15
carries (its README: "Used metadata version: v9.0.42"); keep the two in step.

The output is deterministic for a given `phonenumbers` version (fixed random
seed, fixed iteration order, no network).

Columns (tab separated, one header line, no comments):

    region   ISO 3166 region code passed as the default region, or `-` for
             "no region" (the number must then carry its country code after `+`)
    input    the raw string given to the parser (never contains tab/newline)
    expected E.164 string when accepted, empty when refused
    half     `tune` or `held-out`, from a hash of (region, input): fixes to our
             normaliser may be tuned on the first half only; the second half
             tells whether they generalise

Rule (exactly what the server does):

    try:
        n = phonenumbers.parse(input, region)      # region None for `-`
    except phonenumbers.NumberParseException:
        refused
    if not phonenumbers.is_valid_number(n): refused
    else: expected = phonenumbers.format_number(n, PhoneNumberFormat.E164)

In `-` mode the parser gets no default region, so, as libphonenumber does, it
accepts only numbers written with a plus sign and their country code.

Rows cover every region the metadata has (and the non-geographic calling codes,
+800, +882, ...).
"""

import itertools
import os
import random
import re
import sys
import zlib

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

SEED = 20240917
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_TSV = os.path.join(HERE, "phone_corpus.tsv")
OUT_VERSION = os.path.join(HERE, "phone_corpus.version")

# Every region the metadata has a numbering plan for ("001", the
# non-geographic entities, are added below through their calling codes).
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)

TYPES = [
    ("FIXED_LINE", PhoneNumberType.FIXED_LINE),
    ("MOBILE", PhoneNumberType.MOBILE),
    ("TOLL_FREE", PhoneNumberType.TOLL_FREE),
    ("PREMIUM_RATE", PhoneNumberType.PREMIUM_RATE),
    ("SHARED_COST", PhoneNumberType.SHARED_COST),
    ("VOIP", PhoneNumberType.VOIP),
    ("PERSONAL_NUMBER", PhoneNumberType.PERSONAL_NUMBER),
    ("PAGER", PhoneNumberType.PAGER),
    ("UAN", PhoneNumberType.UAN),
    ("VOICEMAIL", PhoneNumberType.VOICEMAIL),
]

# Characters that would break a line-oriented TSV reader in one language or
# another (Python's str.splitlines splits on several of them), plus NUL,
# which would make git and other tools treat the file as binary.
_FORBIDDEN = re.compile("[\x00\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

rng = random.Random(SEED)


def clean(s):
    return _FORBIDDEN.sub(" ", s)


def expected_for(region, inp):
    reg = None if region == "-" else region
    try:
        n = phonenumbers.parse(inp, reg)
    except NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(n):
        return ""
    return phonenumbers.format_number(n, PhoneNumberFormat.E164)


_IDD_CACHE = {}


def idd_for(region):
    """A concrete international dialling prefix usable from `region`."""
    if region in _IDD_CACHE:
        return _IDD_CACHE[region]
    md = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if md is None:  # no region: "00", the most common prefix
        return "00"
    pref = md.preferred_international_prefix
    result = None
    if pref:
        result = pref.replace("~", "")
    elif md.international_prefix and md.international_prefix.isdigit():
        result = md.international_prefix
    elif md.international_prefix:
        pat = re.compile(md.international_prefix)
        for length in range(2, 6):
            for digits in itertools.product("0123456789", repeat=length):
                cand = "".join(digits)
                if pat.fullmatch(cand):
                    result = cand
                    break
            if result:
                break
    _IDD_CACHE[region] = result or "00"
    return _IDD_CACHE[region]


def national_prefix(region):
    md = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return (md.national_prefix or "") if md else ""


def regroup(digits, sep):
    """Split a digit string into groups of 2-4 joined by sep."""
    out, i = [], 0
    while i < len(digits):
        k = rng.choice((2, 3, 3, 4))
        out.append(digits[i:i + k])
        i += k
    return sep.join(out)


LETTERS = {
    "2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL",
    "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ",
}


def to_letters(digits):
    out = []
    for d in digits:
        if d in LETTERS:
            out.append(rng.choice(LETTERS[d]))
        else:
            out.append(d)
    return "".join(out)


def perturb(nsn):
    """Random variations of a national significant number."""
    d = list(nsn)
    kind = rng.randrange(6)
    if kind == 0 and len(d) > 1:  # change one digit (not the first)
        i = rng.randrange(1, len(d))
        d[i] = rng.choice([c for c in "0123456789" if c != d[i]])
    elif kind == 1 and len(d) > 2:  # change two digits
        for i in rng.sample(range(1, len(d)), 2):
            d[i] = rng.choice("0123456789")
    elif kind == 2:  # randomise all digits after the first two
        d = d[:2] + [rng.choice("0123456789") for _ in d[2:]]
    elif kind == 3 and len(d) > 1:  # swap two adjacent digits
        i = rng.randrange(len(d) - 1)
        d[i], d[i + 1] = d[i + 1], d[i]
    elif kind == 4:  # drop one digit
        if len(d) > 2:
            del d[rng.randrange(1, len(d))]
    else:  # insert one digit
        d.insert(rng.randrange(1, len(d) + 1), rng.choice("0123456789"))
    return "".join(d)


def number_strings(region, cc, nsn, full=True):
    """Several textual renderings of the number (+cc, nsn) from region."""
    out = []
    e164 = "+%d%s" % (cc, nsn)
    num = None
    try:
        num = phonenumbers.parse(e164, None)
    except NumberParseException:
        pass
    np = national_prefix(region)
    if num is not None:
        out.append(phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL))
        out.append(phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL))
        out.append(phonenumbers.format_number(num, PhoneNumberFormat.E164))
        out.append(phonenumbers.format_number(num, PhoneNumberFormat.RFC3966))
    else:
        out.append(e164)
        out.append(np + nsn)
    out.append(np + nsn)  # plain national digits
    out.append("00%d%s" % (cc, nsn))
    idd = idd_for(region)
    out.append("%s %d %s" % (idd, cc, regroup(nsn, " ")))
    if full:
        out.append(nsn)  # without national prefix
        out.append("+%d %s" % (cc, regroup(nsn, " ")))
        out.append("+%d-%s" % (cc, regroup(nsn, "-")))
        out.append("+%d.%s" % (cc, regroup(nsn, ".")))
        out.append("(+%d) %s" % (cc, regroup(nsn, " ")))
        out.append("+%d (0) %s" % (cc, regroup(nsn, " ")))
        nat = np + nsn
        if len(nat) > 4:
            out.append("(%s) %s" % (nat[:3], regroup(nat[3:], "-")))
        out.append(regroup(nat, "."))
        out.append(regroup(nat, "-"))
        out.append("  %s  " % regroup(nat, " "))
        out.append("tel:%s;phone-context=+%d" % (nat, cc))
        out.append("tel:+%d-%s" % (cc, regroup(nsn, "-")))
        ext = rng.choice(["123", "45", "7", "9001", "12345"])
        out.append(rng.choice(out[:4]) + rng.choice(
            [" ext. ", " ext ", " x", " x ", " #", ",", " extension "]) + ext)
        out.append("+%d%s;ext=%s" % (cc, nsn, ext))
        out.append("tel:+%d%s;ext=%s" % (cc, nsn, ext))
        out.append("+%d%s" % (cc, nsn[:-1]))  # too short
        out.append("+%d%s" % (cc, nsn[:-2]))  # much too short
        out.append("+%d%s%d" % (cc, nsn, rng.randrange(10)))  # too long
        out.append("+%d%s%02d" % (cc, nsn, rng.randrange(100)))  # much too long
        out.append(np + nsn[:-1])
        out.append(np + nsn + str(rng.randrange(10)))
        out.append("Tel: %s" % out[0])
        out.append("+%d%s" % (cc, nsn) + rng.choice(["abc", " call me", "!"]))
    return out


rows = []
seen = set()


def add(region, inp):
    inp = clean(inp)
    key = (region, inp)
    if key in seen:
        return
    seen.add(key)
    half = "tune" if zlib.crc32(("%s\t%s" % key).encode()) % 2 == 0 else "held-out"
    rows.append((region, inp, expected_for(region, inp), half))


def main():
    examples = []  # (region, type name, PhoneNumber)
    for region in REGIONS:
        for tname, t in TYPES:
            n = phonenumbers.example_number_for_type(region, t)
            if n is None:
                continue
            examples.append((region, tname, n))

    # 1. valid example numbers, in many renderings, parsed with their region.
    for region, tname, n in examples:
        cc = n.country_code
        nsn = phonenumbers.national_significant_number(n)
        full = tname in ("FIXED_LINE", "MOBILE", "TOLL_FREE")
        strs = number_strings(region, cc, nsn, full=full)
        # the canonical renderings always, a random subset of the variants
        keep = strs[:7] + rng.sample(strs[7:], min(14, len(strs) - 7))
        for s in keep:
            add(region, s)

    # 2. perturbed numbers (may or may not be valid).
    for region, tname, n in examples:
        cc = n.country_code
        nsn = phonenumbers.national_significant_number(n)
        for _ in range(3):
            p = perturb(nsn)
            strs = number_strings(region, cc, p, full=False)
            for s in rng.sample(strs, min(3, len(strs))):
                add(region, s)

    # 3. cross-region: a number written for region A parsed with region B.
    for region, tname, n in examples:
        others = [r for r in REGIONS if r != region]
        for other in rng.sample(others, 3):
            add(other, phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL))
            add(other, phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL))
        # national digits without prefix, other region
        add(rng.choice(others), phonenumbers.national_significant_number(n))
        # international from a region using the *other* region's IDD
        other = rng.choice(others)
        add(other, "%s%d%s" % (idd_for(other), n.country_code,
                                phonenumbers.national_significant_number(n)))
        add(other, "%s%d%s" % (idd_for(region), n.country_code,
                                phonenumbers.national_significant_number(n)))

    # 4. vanity numbers (letters).
    vanity = [
        ("US", "1-800-FLOWERS"), ("US", "1-800-flowers"), ("US", "1 (800) FLOWERS"),
        ("US", "800-FLOWERS"), ("US", "+1-800-FLOWERS"), ("US", "1-800-GOT-JUNK"),
        ("US", "1-800-MY-APPLE"), ("US", "1-888-PIZZA-NOW"), ("US", "1-800-CALL-ATT"),
        ("US", "1-800-CONTACTS"), ("US", "1-800-NO"), ("US", "1-800-AB"),
        ("US", "1-800-ABC"), ("US", "1-800-FLOWERSS"), ("US", "1-800-FLOWERSSS"),
        ("CA", "1-800-FLOWERS"), ("CA", "1-866-JOHNNY5"), ("GB", "0800 FLOWERS"),
        ("GB", "+44 800 FLOWERS"), ("AU", "1300 FLOWERS"), ("AU", "13 NRMA"),
        ("AU", "1800 FLOWERS"), ("NZ", "0800 FLOWERS"), ("DE", "0800 FLOWERS"),
        ("US", "FLOWERS"), ("US", "ABC-DEFG"), ("US", "+1 ABC DEF GHIJ"),
        ("US", "1-800-MICROSOFT"), ("US", "1-800-Flowers ext. 12"),
        ("US", "1800FLOWERS"), ("US", "1-8OO-FLOWERS"), ("US", "1-800-FL0WERS"),
        ("FR", "08 FLOWERS"), ("JP", "0120-FLOWERS"),
    ]
    for region, s in vanity:
        add(region, s)
    for region, tname, n in examples:
        if tname not in ("TOLL_FREE", "MOBILE") or rng.random() < 0.5:
            continue
        nsn = phonenumbers.national_significant_number(n)
        k = rng.choice((3, 4, 5))
        lettered = nsn[:-k] + to_letters(nsn[-k:])
        add(region, "+%d %s" % (n.country_code, lettered))
        add(region, national_prefix(region) + lettered)

    # 5. non-ASCII digits and separators.
    fw = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")
    ar = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    fa = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    dev = str.maketrans("0123456789", "०१२३४५६७८९")
    bn = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
    th = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    for region, tname, n in examples:
        nat = phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL)
        intl = phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL)
        if region in ("JP", "CN", "KR", "TW", "HK"):
            add(region, nat.translate(fw))
            add(region, intl.translate(fw))
        if region in ("EG", "AE", "SA", "MA"):
            add(region, nat.translate(ar))
            add(region, intl.translate(ar))
        if region in ("PK",):
            add(region, nat.translate(fa))
        if region in ("IN",):
            add(region, nat.translate(dev))
        # Any script's decimal digits, as libphonenumber reads them, on a sample of every region.
        if rng.random() < 0.15:
            script = rng.choice((fw, ar, fa, dev, bn, th))
            add(region, rng.choice((nat, intl)).translate(script))
        if tname == "FIXED_LINE":
            add(region, intl.replace(" ", "\u00a0"))
            add(region, intl.replace(" ", "\u2013"))
            add(region, intl.replace(" ", "\u2011"))
            add(region, intl.replace(" ", "/"))
            add(region, intl.replace(" ", "\u3000"))
            add(region, intl.replace("+", "\uff0b"))

    # 6. garbage.
    garbage = [
        "", " ", "   ", "abc", "+", "++", "++1", "+ 1", "+1", "+0", "+00", "+44",
        "+1 ", "0", "00", "000", "1", "12", "123", "1234", "911", "112", "999",
        "-", "--", "()", "( )", ".", "...", "#", "*", "*123#", "#31#", "x", "ext",
        " ext. 123", ";ext=7", "tel:", "tel:+", "tel:;phone-context=+1", "sip:",
        "null", "None", "NaN", "undefined", "true", "0x1234", "1e10", "1.5",
        "-1", "+-1", "+(1)", "+1-", "1 2 3", "a1b2c3d4e5f6g7", "phone",
        "++44 20 7031 3000", "+ +44 20 7031 3000", "+44++20 7031 3000",
        "call +44 20 7031 3000 now", "☎", "📞 +1 201 555 0123", "😀😀😀",
        "日本語", "Ελληνικά", "عربي", "\u200b", "\u200b+1 201 555 0123",
        "\ufeff+1 201 555 0123", "+1 201 555 0123\u200b",
        "1" * 17, "1" * 20, "9" * 30, "1" * 250,
        "1" * 251, "+" + "1" * 260, "0" * 40, "+" + "0" * 15,
        "".join(str(i % 10) for i in range(100)),
        "+1 201 555 0123 +1 201 555 0124", "201 555 0123 / 201 555 0124",
        "2015550123 2015550124", "+1 (201) 555-0123 ext", "+1 (201) 555-0123 ext.",
        "+1 (201) 555-0123 x", "+1 (201) 555-0123 ext. abc",
        "+1 (201) 555-0123 ext. 12345678901234567890", "+1;ext=7",
        "555-0100", "(555) 555-0100", "1-555-555-0100", "+1 555 555 0100",
        "555-555-0100", "+1 201 555 0100", "201-555-0100", "555 0100",
        "555-1212", "+15555550100", "0100",
    ]
    for s in garbage:
        for region in ("US", "GB", "DE", "FR", "JP", "BR", "IN"):
            add(region, s)
    for s in garbage[:25]:
        add("-", s)
    for region in REGIONS:
        add(region, "555-0100")
        add(region, "")
        add(region, "+")
    # random unicode / random junk strings
    pools = [
        "0123456789",
        "0123456789 -().+",
        "0123456789abcdefXYZ -().+#*",
        "0123456789\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff0f"
        "\u3000\u2060\uff08\uff09\uff0e\u00e9\u00df\u4e00\u0416\u0627",
    ]
    for i in range(260):
        pool = pools[i % len(pools)]
        length = rng.choice((1, 2, 3, 5, 7, 9, 10, 11, 12, 13, 15, 18, 25))
        s = "".join(rng.choice(pool) for _ in range(length))
        if rng.random() < 0.4:
            s = "+" + s
        add(rng.choice(REGIONS), s)
    for i in range(40):
        s = "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 12)))
        add(rng.choice(REGIONS), s)
    # random digit strings of various lengths, national and with '+'
    for i in range(300):
        length = rng.randrange(3, 19)
        s = str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
        region = REGIONS[i % len(REGIONS)]
        add(region, s if i % 3 else "+" + s)

    # 7. no-region mode (`-`): about 200 rows.
    for region, tname, n in examples:
        if rng.random() < 0.6:
            continue
        e164 = phonenumbers.format_number(n, PhoneNumberFormat.E164)
        intl = phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL)
        nat = phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL)
        choice = rng.randrange(8)
        if choice == 0:
            add("-", e164)
        elif choice == 1:
            add("-", intl)
        elif choice == 2:
            add("-", nat)  # no '+': refused
        elif choice == 3:
            add("-", "  " + intl + " ")
        elif choice == 4:
            add("-", "00" + e164[1:])  # no '+': refused
        elif choice == 5:
            add("-", "+" + perturb(e164[1:]))
        elif choice == 6:
            add("-", intl + " ext. 12")
        else:
            add("-", phonenumbers.format_number(n, PhoneNumberFormat.RFC3966)[4:])
    for i in range(30):
        region, tname, n = rng.choice(examples)
        e164 = phonenumbers.format_number(n, PhoneNumberFormat.E164)
        add("-", "+" + perturb(e164[1:]))
    for s in ("+1 800 FLOWERS", "+1-800-FLOWERS", "+44 (0) 20 7031 3000",
              "+1 555-0100", "+1 201 555 0100", "+999 123 456", "+800 1234 5678",
              "+808 1234 5678", "+870 301 234 567", "+882 1234 5678",
              "+883 5100 1234 5678", "+979 123 456 789", "+7 800 555 35 35",
              "tel:+1-201-555-0123", "a+1 201 555 0123", "(+1) 201 555 0123"):
        add("-", s)

    # 8. non-geographic calling codes (+800 freephone, +882 networks, ...).
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        n = phonenumbers.example_number_for_non_geo_entity(cc)
        if n is None:
            continue
        nsn = phonenumbers.national_significant_number(n)
        for s in number_strings("-", cc, nsn, full=True):
            add("-", s)
            add(rng.choice(REGIONS), s)
        for _ in range(3):
            add("-", "+%d %s" % (cc, perturb(nsn)))

    # Write outputs.
    with open(OUT_TSV, "w", encoding="utf-8", newline="\n") as f:
        f.write("region\tinput\texpected\thalf\n")
        for region, inp, exp, half in rows:
            assert "\t" not in inp and "\n" not in inp
            f.write("%s\t%s\t%s\t%s\n" % (region, inp, exp, half))
    with open(OUT_VERSION, "w", encoding="utf-8", newline="\n") as f:
        f.write("phonenumbers %s\n" % phonenumbers.__version__)

    regions = sorted({r for r, _, _, _ in rows})
    accepted = sum(1 for _, _, e, _ in rows if e)
    no_region = sum(1 for r, _, _, _ in rows if r == "-")
    held_out = sum(1 for _, _, _, h in rows if h == "held-out")
    print("phonenumbers %s" % phonenumbers.__version__)
    print("rows: %d" % len(rows))
    print("regions: %d (plus '-' no-region: %d rows)" % (
        len([r for r in regions if r != "-"]), no_region))
    print("accepted: %d" % accepted)
    print("refused: %d" % (len(rows) - accepted))
    print("held-out: %d" % held_out)
    print("written: %s, %s" % (OUT_TSV, OUT_VERSION))


if __name__ == "__main__":
    sys.exit(main())
