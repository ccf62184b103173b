#!/usr/bin/env python3
"""Rewrites a store's audit trail as someone who can write the database would: optionally
changes one record's detail, then recomputes every link from a record on, with plain
SHA-256 (the link of records before schema version 8) or HMAC-SHA256 under a key given in
hex (not the platform's: the attacker lacks the KEK), and marks the records keyed or not.
The link is audit/audit.c's: over the previous link, "ID|AT|", then each of actor,
action, target, detail as "LEN:TEXT".

usage: audit_chain.py sqlite DB.sqlite | postgresql URL
           [--detail ID TEXT] [--from N] [--hmac KEYHEX] [--keyed 0|1]
"""
import argparse
import hashlib
import hmac
import json
import sqlite3
import subprocess


def link(key, prev, r):
    parts = [prev, "%d|%d|" % (r["id"], r["at"])]
    for f in ("actor", "action", "target", "detail"):
        parts.append("%d:%s" % (len(r[f].encode()), r[f]))
    data = "".join(parts).encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def quote(v):
    return "'" + str(v).replace("'", "''") + "'"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["sqlite", "postgresql"])
    ap.add_argument("target")
    ap.add_argument("--detail", nargs=2, metavar=("ID", "TEXT"))
    ap.add_argument("--from", dest="start", type=int, default=1)
    ap.add_argument("--hmac")
    ap.add_argument("--keyed", type=int, choices=[0, 1])
    a = ap.parse_args()
    cols = "id, at, actor, action, target, detail, prev_hash, hash"
    if a.engine == "sqlite":
        db = sqlite3.connect(a.target)
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT %s FROM audit ORDER BY id" % cols)]
    else:
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", a.target, "-c",
                              "SELECT COALESCE(json_agg(x ORDER BY x.id), '[]') FROM "
                              "(SELECT %s FROM audit) x" % cols],
                             check=True, capture_output=True, text=True).stdout
        rows = json.loads(out)
    key = bytes.fromhex(a.hmac) if a.hmac else None
    prev = ""
    sql = []
    for r in rows:
        if a.detail and r["id"] == int(a.detail[0]):
            r["detail"] = a.detail[1]
        if r["id"] >= a.start:
            r["prev_hash"], r["hash"] = prev, link(key, prev, r)
            sets = "detail = %s, prev_hash = %s, hash = %s" % (
                quote(r["detail"]), quote(r["prev_hash"]), quote(r["hash"]))
            if a.keyed is not None:
                sets += ", keyed = %d" % a.keyed
            sql.append("UPDATE audit SET %s WHERE id = %d;" % (sets, r["id"]))
        prev = r["hash"]
    text = "BEGIN;\n" + "\n".join(sql) + "\nCOMMIT;\n"
    if a.engine == "sqlite":
        db.executescript(text)
        db.close()
    else:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", a.target],
                       input=text, check=True, text=True)


main()
