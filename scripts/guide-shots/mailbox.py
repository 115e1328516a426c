#!/usr/bin/env python3
"""A list member's mailbox on the email peer (scripts/peers/email.sh), for
scripts/guide-screenshots.sh:

  mailbox.py empty USER           deletes every mail in USER's INBOX (a fresh start)
  mailbox.py wait USER SUBJECT    waits until a mail with SUBJECT is in it

The password comes from GUIDE_IMAP_PASSWORD; the port from TREECAST_TEST_IMAP_PORT.
"""
import email.header
import imaplib
import os
import sys
import time

PORT = int(os.environ.get("TREECAST_TEST_IMAP_PORT", "1143"))


def connect(user):
    m = imaplib.IMAP4("127.0.0.1", PORT)
    m.login(user, os.environ["GUIDE_IMAP_PASSWORD"])
    m.select("INBOX")
    return m


def subjects(m):
    typ, data = m.search(None, "ALL")
    out = []
    for num in data[0].split():
        typ, msg = m.fetch(num, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        raw = msg[0][1].decode("ascii", "replace").split(":", 1)[-1].strip()
        out.append(str(email.header.make_header(email.header.decode_header(raw))))
    return out


def main():
    cmd, user = sys.argv[1], sys.argv[2]
    m = connect(user)
    if cmd == "empty":
        m.store("1:*", "+FLAGS", "\\Deleted") if m.search(None, "ALL")[1][0] else None
        m.expunge()
    elif cmd == "wait":
        end = time.time() + 60
        while time.time() < end:
            m.noop()
            if any(sys.argv[3] in s for s in subjects(m)):
                return
            time.sleep(0.5)
        raise SystemExit(f"mailbox.py: no mail '{sys.argv[3]}' in {user}'s INBOX after 60 s")
    else:
        raise SystemExit(__doc__)
    m.logout()


if __name__ == "__main__":
    main()
