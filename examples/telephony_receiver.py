#!/usr/bin/env python3
"""A tiny telephony bridge for campaignd's webhook placer, to see the round trip.

It verifies each delivery with the Standard Webhooks library, pretends to place the call, and
after --after seconds posts an outcome back on the delivery's result_url. Python standard
library plus `standardwebhooks` (pip install standardwebhooks).

    export CAMPAIGND_WEBHOOK_SECRET=whsec_$(openssl rand -base64 32)
    export CAMPAIGND_API_KEY=ak_…            # a key of the organisation, scope campaigns:manage
    python3 examples/telephony_receiver.py --port 9000 &
    campaignd serve --ephemeral --bootstrap-key "$CAMPAIGND_API_KEY" \\
        --dialer webhook --webhook-url http://127.0.0.1:9000/calls

Outcomes: --outcome answered (default), or `random` (answered, voicemail, no_answer, busy).
"""

import argparse
import json
import os
import random
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

OUTCOMES = ["answered", "voicemail", "no_answer", "busy"]


def post_result(result_url, api_key, outcome, conversation_id):
    """Reports how the call ended: POST {"outcome", "conversation_id"} with the API key."""
    body = json.dumps({"outcome": outcome, "conversation_id": conversation_id}).encode()
    request = urllib.request.Request(
        result_url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            contact = json.load(answer)
            print(f"result {outcome}: contact {contact['id']} is {contact['status']}", flush=True)
    except urllib.error.HTTPError as error:
        # 409: the attempt already ended (e.g. after --max-call-minutes) with another outcome.
        print(f"result {outcome}: HTTP {error.code} {error.read().decode()}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--outcome", default="answered", choices=OUTCOMES + ["failed", "random"])
    parser.add_argument("--after", type=float, default=1.0, help="seconds before the result")
    args = parser.parse_args()
    webhook = Webhook(os.environ["CAMPAIGND_WEBHOOK_SECRET"])
    api_key = os.environ["CAMPAIGND_API_KEY"]

    class Bridge(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as campaignd's client expects

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                call = webhook.verify(body, dict(self.headers))
            except WebhookVerificationError as error:
                print(f"refused a delivery: {error}", flush=True)
                return self.answer(401, b"")
            print(
                f"verified: call {call['phone_number']} from {call['caller_number']} "
                f"(attempt {call['attempt_number']}/{call['max_attempts']}, agent {call['agent_id']})",
                flush=True,
            )
            conversation_id = f"demo-{call['attempt_id']}"
            outcome = random.choice(OUTCOMES) if args.outcome == "random" else args.outcome
            threading.Timer(
                args.after, post_result, (call["result_url"], api_key, outcome, conversation_id)
            ).start()
            # 2xx within 10 s: the call is up, its result comes later.
            self.answer(200, json.dumps({"conversation_id": conversation_id}).encode())

        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Bridge)
    print(f"telephony bridge listening on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
