"""Signs Twilio status callbacks for tests/twilio.rs with the official `twilio` library.

Reads one JSON object a line on stdin, {"token": "...", "url": "...", "params": [[name, value], ...]},
and writes one a line on stdout, {"signature": "..."}: the X-Twilio-Signature that Twilio would
send, computed by twilio.request_validator.RequestValidator (the class Twilio's own docs tell
receivers to verify with), and checked with its validate() before it is written.
"""

import json
import sys

from twilio.request_validator import RequestValidator


class Form(dict):
    """The form's parameters, with every value of a repeated name (as Flask's MultiDict)."""

    def getall(self, name):
        return self[name]


def main():
    for line in sys.stdin:
        request = json.loads(line)
        params = Form()
        for name, value in request["params"]:
            params.setdefault(name, []).append(value)
        validator = RequestValidator(request["token"])
        signature = validator.compute_signature(request["url"], params)
        assert validator.validate(request["url"], params, signature)
        sys.stdout.write(json.dumps({"signature": signature}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
