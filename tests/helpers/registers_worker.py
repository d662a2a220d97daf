"""A batch issuing documents, run as its own process by the registers tests.

usage: registers_worker.py WORKSPACE FIRST_APP LAST_APP KINDS [--slow S] [--die-at N] [--fail-at N]

For every application id FIRST..LAST and every kind of KINDS (comma
separated) it reuses the issued document if there is one (`find_issued`),
else issues one through `numbering.issue_document`, whose `produce` writes a
small file. It prints "issued UID NUMBER" or "reused UID NUMBER" per
document. --slow makes produce sleep (so a kill lands between the two
transactions); --die-at N sends SIGKILL to itself inside produce of its N-th
new document; --fail-at N makes that produce raise.
"""

import argparse
import datetime as dt
import os
import signal
import time

from sikro_docs import db, numbering
from sikro_docs.workspace import open_workspace

DOC_DATE = dt.date(2025, 3, 7)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace")
    parser.add_argument("first", type=int)
    parser.add_argument("last", type=int)
    parser.add_argument("kinds")
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--die-at", type=int, default=0)
    parser.add_argument("--fail-at", type=int, default=0)
    args = parser.parse_args()
    ws = open_workspace(args.workspace)
    made = 0

    def produce(document):
        if made == args.die_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if made == args.fail_at:
            raise RuntimeError("template missing")
        path = ws.out_dir / f"{document.uid}.txt"
        path.write_text(f"{document.kind} {document.number}\n")
        time.sleep(args.slow)
        return [path]

    for app_id in range(args.first, args.last + 1):
        for kind in args.kinds.split(","):
            with db.session(ws) as session:
                done = numbering.find_issued(session, app_id, kind)
            if done is not None:
                print(f"reused {done.uid} {done.number}", flush=True)
                continue
            made += 1
            try:
                document = numbering.issue_document(ws, kind=kind, application_id=app_id,
                                                    on=DOC_DATE, produce=produce)
            except RuntimeError as exc:
                print(f"failed {exc}", flush=True)
                continue
            print(f"issued {document.uid} {document.number}", flush=True)


if __name__ == "__main__":
    main()
