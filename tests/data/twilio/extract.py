"""Cuts the part of Twilio's published OpenAPI description of its 2010-04-01 API that campaignd
uses (creating a call) out of the whole file, unchanged: the document's head, the path
`/2010-04-01/Accounts/{AccountSid}/Calls.json` with its `post` operation only, and the schemas
that operation refers to (transitively). The whole file is about 1.8 MB; the cut is what
tests/it/twilio.rs validates campaignd's requests against.

    python3 extract.py twilio_api_v2010.json > twilio_api_v2010.calls.json

where twilio_api_v2010.json is spec/json/twilio_api_v2010.json of github.com/twilio/twilio-oai
(the commit is in README.md).
"""

import json
import sys

PATH = "/2010-04-01/Accounts/{AccountSid}/Calls.json"


def refs(value, found):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                found.add(item)
            else:
                refs(item, found)
    elif isinstance(value, list):
        for item in value:
            refs(item, found)
    return found


def main(source):
    with open(source, encoding="utf-8") as f:
        spec = json.load(f)
    path = {key: value for key, value in spec["paths"][PATH].items() if key != "get"}
    schemas = spec["components"]["schemas"]
    kept, todo = {}, refs(path, set())
    while todo:
        ref = todo.pop()
        name = ref.rsplit("/", 1)[1]
        if name not in kept:
            kept[name] = schemas[name]
            todo |= refs(schemas[name], set())
    cut = {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "security": spec["security"],
        "components": {
            "securitySchemes": spec["components"]["securitySchemes"],
            "schemas": {name: kept[name] for name in sorted(kept)},
        },
        "paths": {PATH: path},
    }
    json.dump(cut, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
