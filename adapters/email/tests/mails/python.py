#!/usr/bin/env python3
"""Writes the python-*.eml fixtures exactly as Python's email package writes
them (Python 3.11 here). Its encoded words carry the labels of Python's codec
names (`eucgb2312_cn`, `big5_tw`, or whatever label a script passed), which
are not WHATWG labels. Run from this directory: python3 python.py"""
from email.charset import Charset, BASE64, QP
from email.header import Header
from email.mime.text import MIMEText

SIMPLIFIED = "各团支部：请于五月四日前提交“青年大学习”学习情况。\n谢谢！"
TRADITIONAL = "各團支部請按時參加活動。\n謝謝！"

# (file name, charset label a script passes, body encoding, subject, name, text)
CASES = [
    ("python-gb2312", "gb2312", BASE64, "关于团日活动的通知", "省团委", SIMPLIFIED),
    ("python-big5", "big5", BASE64, "團日活動通知", "省團委", TRADITIONAL),
    ("python-euc_cn-qp", "euc_cn", QP, "关于团日活动的通知", "省团委", SIMPLIFIED),
    ("python-gb2312_1980", "gb2312_1980", BASE64, "关于团日活动的通知", "省团委", SIMPLIFIED),
    ("python-cp936-qp", "cp936", QP, "关于团日活动的通知", "省团委", SIMPLIFIED),
    ("python-ms936", "ms936", BASE64, "关于团日活动的通知", "省团委", SIMPLIFIED),
    ("python-big5-hkscs", "big5-hkscs", BASE64, "團日活動通知", "省團委", TRADITIONAL),
]

for name, label, body_encoding, subject, sender, text in CASES:
    cs = Charset(label)
    cs.body_encoding = body_encoding
    m = MIMEText(text, "plain", cs)
    m["Subject"] = Header(subject, label)
    m["From"] = Header(sender, label).encode() + " <official@example.test>"
    m["To"] = "notice+4143010533@example.test"
    m["Message-ID"] = f"<{name}@example.test>"
    with open(f"{name}.eml", "wb") as f:
        f.write(m.as_bytes().replace(b"\n", b"\r\n"))
