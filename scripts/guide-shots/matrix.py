#!/usr/bin/env python3
"""The Matrix side of the guide's screenshots (scripts/guide-screenshots.sh).

Talks to the Synapse peer (scripts/peers/matrix.sh) over the client-server
API as the peer's ordinary users, the way a person's client would:

  matrix.py prepare CONF [HS] names the users, empties student1's room list,
                              writes nheko's login (an access token) for student1
                              into CONF, with HS as its homeserver
  matrix.py room              student1 creates the branch's room and invites the
                              bot (moderator, so it can set the emblem) and 赵敏;
                              prints the room id once the bot has joined
  matrix.py wait-bound ROOM   waits for the bot's "本群已绑定到 …" and the emblem
  matrix.py wait-notice ROOM  waits for the notice, then 赵敏 replies 收到 to it
                              and it waits for the bot's ✅ answer

Passwords come from the environment the peer script prints
(TREECAST_TEST_MATRIX_*_PASSWORD); the homeserver from TREECAST_TEST_MATRIX_URL.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HS = os.environ.get("TREECAST_TEST_MATRIX_URL", "http://127.0.0.1:8008")
SERVER = "localhost"
BOT = f"@bot:{SERVER}"
ROOM_NAME = "经济学2024级1班团支部"
# Who is who in the pictures (the guide's story: 湖南大学, branch 4143010532-003).
NAMES = {"bot": "团委通知机器人", "student1": "陈静", "student2": "赵敏"}


def password(user):
    return os.environ[f"TREECAST_TEST_MATRIX_{user.upper()}_PASSWORD"]


def call(method, path, token=None, body=None, ok404=False):
    req = urllib.request.Request(HS + path, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    for attempt in range(20):
        try:
            with urllib.request.urlopen(req, data, timeout=30) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            if e.code == 429:
                time.sleep(json.loads(e.read() or b"{}").get("retry_after_ms", 1000) / 1000)
                continue
            if ok404 and e.code == 404:
                return None
            raise SystemExit(f"matrix.py: {method} {path}: {e.code} {e.read().decode(errors='replace')}")
    raise SystemExit(f"matrix.py: {method} {path}: still rate limited")


def login(user, device):
    r = call("POST", "/_matrix/client/v3/login", body={
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password(user),
        "initial_device_display_name": device,
    })
    return r


def q(s):
    return urllib.parse.quote(s, safe="")


def uid(user):
    return f"@{user}:{SERVER}"


_tokens = {}


def token(user):
    if user not in _tokens:
        _tokens[user] = login(user, "guide-screenshots")["access_token"]
    return _tokens[user]


def send(user, room, content):
    txn = f"shot{time.time_ns()}"
    return call("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/{txn}", token(user), content)["event_id"]


def messages(room, user="student1"):
    r = call("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=100", token(user))
    return list(reversed(r.get("chunk", [])))


def wait(what, pred, secs=60):
    end = time.time() + secs
    while time.time() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.5)
    raise SystemExit(f"matrix.py: gave up waiting for {what} after {secs} s")


def from_bot(room, text):
    for ev in messages(room):
        body = ev.get("content", {}).get("body", "")
        if ev.get("sender") == BOT and ev.get("type") == "m.room.message" and text in body:
            return ev
    return None


def prepare(nheko_conf, nheko_hs):
    for user, name in NAMES.items():
        call("PUT", f"/_matrix/client/v3/profile/{q(uid(user))}/displayname", token(user), {"displayname": name})
    # Every run starts from an empty room list: leave and forget earlier runs' rooms.
    for user in ("student1", "student2"):
        for room in call("GET", "/_matrix/client/v3/joined_rooms", token(user))["joined_rooms"]:
            call("POST", f"/_matrix/client/v3/rooms/{q(room)}/leave", token(user), {})
            call("POST", f"/_matrix/client/v3/rooms/{q(room)}/forget", token(user), {})
        sync = call("GET", "/_matrix/client/v3/sync?timeout=0", token(user))
        for room in sync.get("rooms", {}).get("invite", {}):
            call("POST", f"/_matrix/client/v3/rooms/{q(room)}/leave", token(user), {})
    # nheko's own login, as its login page would store it.
    s = login("student1", "nheko")
    os.makedirs(os.path.dirname(nheko_conf), exist_ok=True)
    with open(nheko_conf, "w") as f:
        f.write("[auth]\n")
        f.write(f"access_token={s['access_token']}\n")
        f.write(f"device_id={s['device_id']}\n")
        f.write(f"home_server={nheko_hs}\n")
        f.write(f"user_id={s['user_id']}\n")
        # Wide enough for the room list and the timeline, no tray, no sound.
        f.write("\n[user]\nsidebar\\room_list_width=230\ntimeline\\max_width=0\n"
                "desktop_notifications=false\nalert_on_notification=false\n"
                "typing_notifications=false\nread_receipts=false\nfont_size=11\n")
    os.chmod(nheko_conf, 0o600)


def room():
    r = call("POST", "/_matrix/client/v3/createRoom", token("student1"), {
        "name": ROOM_NAME,
        "preset": "private_chat",
        # nheko 0.11 cannot read room version 12's m.room.create (no `creator`).
        "room_version": "11",
        "invite": [BOT, uid("student2")],
        # The bot as moderator (50): it may set the room's picture and topic.
        "power_level_content_override": {"users": {uid("student1"): 100, BOT: 50}},
    })
    rid = r["room_id"]
    call("POST", f"/_matrix/client/v3/join/{q(rid)}", token("student2"), {})

    def bot_joined():
        m = call("GET", f"/_matrix/client/v3/rooms/{q(rid)}/joined_members", token("student1"))
        return BOT in m.get("joined", {})

    wait("the bot to join the room", bot_joined)
    print(rid)


def wait_bound(rid):
    wait("the bot's bind answer", lambda: from_bot(rid, "本群已绑定到"))
    wait("the emblem as the room's picture",
         lambda: call("GET", f"/_matrix/client/v3/rooms/{q(rid)}/state/m.room.avatar", token("student1"), ok404=True))
    topic = wait("the room's topic", lambda: call(
        "GET", f"/_matrix/client/v3/rooms/{q(rid)}/state/m.room.topic", token("student1"), ok404=True))
    print(topic.get("topic", ""))


def wait_notice(rid):
    notice = wait("the notice in the room", lambda: from_bot(rid, "关于开展团员教育评议的通知"))
    time.sleep(1)
    send("student2", rid, {
        "msgtype": "m.text",
        "body": "收到",
        "m.relates_to": {"m.in_reply_to": {"event_id": notice["event_id"]}},
    })
    ack = wait("the bot's acknowledgement answer", lambda: from_bot(rid, "已确认收到通知"))
    print(ack["content"]["body"])


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "prepare":
        prepare(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else HS)
    elif cmd == "room":
        room()
    elif cmd == "wait-bound":
        wait_bound(sys.argv[2])
    elif cmd == "wait-notice":
        wait_notice(sys.argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
