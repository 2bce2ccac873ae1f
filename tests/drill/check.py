"""The drill's checker: from the answers the writers saw and the rows in PostgreSQL, proves
SPEC §10 "Faults lose nothing acknowledged" and tallies one table row per fault."""

import collections

from load import BAD, CLOSED, ERROR, HANG, OK

# No request may wait longer than the stack's own timeouts allow: nginx gives up on a worker
# after fastcgi_read_timeout (40 s) and on connecting after fastcgi_connect_timeout (5 s).
STALL_LIMIT = 45.0
# The service answers /health 200 within this long after a fault ends.
RECOVERY_LIMIT = 5.0
# What the owner writes to create each stream before the writers start.
SETUP_CONTENT = "setup"


def stored_rows(stack, pod):
    """{stream: [(index, hash, previous_hash, content)] by index} and {stream: (record_count,
    last_hash)}, read straight from the database."""
    rows = stack.psql(
        "SELECT s.name, r.index, r.hash, coalesce(r.previous_hash, ''), "
        "convert_from(r.content, 'UTF8') FROM record r JOIN stream s ON s.id = r.stream_id "
        f"JOIN pod p ON p.id = s.pod_id WHERE p.name = '{pod}' ORDER BY s.name, r.index",
        database="webpods")
    records = collections.defaultdict(list)
    for line in rows.splitlines():
        stream, index, record_hash, previous, content = line.split("|", 4)
        records[stream].append((int(index), record_hash, previous or None, content))
    heads = {}
    for line in stack.psql(
            "SELECT s.name, s.record_count, coalesce(s.last_hash, '') FROM stream s "
            f"JOIN pod p ON p.id = s.pod_id WHERE p.name = '{pod}'",
            database="webpods").splitlines():
        stream, count, last_hash = line.split("|")
        heads[stream] = (int(count), last_hash or None)
    return records, heads


class Window:
    """The requests answered from one fault's start up to the next fault's start (so a request
    in flight when a fault hits counts for that fault)."""

    def __init__(self, scenario, fault, start):
        self.scenario, self.fault, self.start = scenario, fault, start
        self.end = None
        self.recovery = None  # seconds from the fault's end to the first /health 200


def check(scenario, attempts, windows, stack, pod, verify):
    """Returns (table rows, failures) of one scenario: its writers' attempts, its windows in
    order, its pod; verify(stream) -> (returncode, output) runs webpodsctl verify."""
    failures = []
    records, heads = stored_rows(stack, pod)

    # The database on its own: no gap, heads that match, every chain verifies.
    for stream, rows in sorted(records.items()):
        indices = [row[0] for row in rows]
        if indices != list(range(len(rows))):
            missing = sorted(set(range(max(indices) + 1)) - set(indices))
            failures.append(f"{stream}: index gap, missing {missing[:10]}")
        for (_, previous_hash, _, _), (index, _, link, _) in zip(rows, rows[1:]):
            if link != previous_hash:
                failures.append(f"{stream}: previous_hash of {index} is not the hash before it")
        if heads.get(stream) != (len(rows), rows[-1][1] if rows else None):
            failures.append(f"{stream}: head {heads.get(stream)} but {len(rows)} records")
        returncode, output = verify(stream)
        if returncode != 0:
            failures.append(f"{stream}: webpodsctl verify exited {returncode}: {output}")

    where = {}  # content -> [(stream, index, hash)] as stored
    for stream, rows in records.items():
        for index, record_hash, _, content in rows:
            where.setdefault(content, []).append((stream, index, record_hash))
    sent = {a.content for a in attempts}
    for content, places in where.items():
        if content != SETUP_CONTENT and content not in sent and \
                not any(place[0].startswith(".meta/") for place in places):
            failures.append(f"stored content nobody sent: {content!r} at {places}")

    table = []
    announced = collections.Counter((a.stream, a.index) for a in attempts if a.outcome == OK)
    for window in windows:
        mine = [a for a in attempts
                if window.start <= (a.done if a.done is not None else float("inf")) < window.end]
        row = collections.OrderedDict(
            scenario=scenario, fault=window.fault, sent=len(mine), acknowledged=0, lost=0,
            duplicated=0, json_errors=0, closed=0, stored_unanswered=0, max_stall=0.0,
            recovery=window.recovery)
        for attempt in mine:
            if attempt.outcome is None:  # still waiting when the writers were stopped
                attempt.outcome = HANG
            places = where.get(attempt.content, [])
            if len(places) > 1:
                row["duplicated"] += len(places) - 1
                failures.append(f"{attempt.content!r} stored {len(places)} times: {places}")
            if attempt.outcome != HANG:
                row["max_stall"] = max(row["max_stall"], attempt.waited)
            if attempt.outcome == OK:
                row["acknowledged"] += 1
                expected = (attempt.stream, attempt.index, attempt.hash)
                if expected not in places:
                    row["lost"] += 1
                    failures.append(f"201 for {attempt.content!r} at {expected} but stored "
                                    f"at {places}")
                if announced[(attempt.stream, attempt.index)] > 1:
                    row["duplicated"] += 1
                    failures.append(f"index {attempt.index} of {attempt.stream} announced "
                                    "twice")
                continue
            if places:
                row["stored_unanswered"] += 1
            if attempt.outcome == ERROR:
                row["json_errors"] += 1
            elif attempt.outcome == CLOSED:
                row["closed"] += 1
            elif attempt.outcome == HANG:
                row["max_stall"] = float("inf")
                failures.append(f"{attempt.content!r} ({window.fault}) had no answer after "
                                "the client timeout")
            elif attempt.outcome == BAD:
                failures.append(f"{attempt.content!r} ({window.fault}): not a 201 nor a "
                                f"JSON 503: {attempt.detail}")
        if row["max_stall"] > STALL_LIMIT:
            failures.append(f"{scenario}/{window.fault}: a request waited "
                            f"{row['max_stall']:.1f} s (limit {STALL_LIMIT:.0f} s)")
        if window.recovery is None or window.recovery > RECOVERY_LIMIT:
            failures.append(f"{scenario}/{window.fault}: /health not 200 within "
                            f"{RECOVERY_LIMIT:.0f} s of the fault's end ({window.recovery})")
        table.append(row)
    return table, failures


def merge(table):
    """One row per (scenario, fault) over its repetitions, then one per fault over both
    scenarios, then the total."""
    def add(rows, scenario, fault):
        total = collections.OrderedDict(scenario=scenario, fault=fault, runs=len(rows))
        for key in ("sent", "acknowledged", "lost", "duplicated", "json_errors", "closed",
                    "stored_unanswered"):
            total[key] = sum(row[key] for row in rows)
        total["max_stall"] = max(row["max_stall"] for row in rows)
        total["recovery"] = max(row["recovery"] if row["recovery"] is not None else float("inf")
                                for row in rows)
        return total

    merged = []
    order = list(collections.OrderedDict.fromkeys((r["scenario"], r["fault"]) for r in table))
    for scenario, fault in order:
        merged.append(add([r for r in table if (r["scenario"], r["fault"]) == (scenario, fault)],
                          scenario, fault))
    faults = list(collections.OrderedDict.fromkeys(r["fault"] for r in table))
    for fault in faults:
        merged.append(add([r for r in table if r["fault"] == fault], "both", fault))
    merged.append(add(table, "both", "all"))
    return merged


def render(rows):
    headings = ["scenario", "fault", "runs", "sent", "acknowledged", "lost", "duplicated",
                "json_errors", "closed", "stored_unanswered", "max_stall", "recovery"]
    titles = ["scenario", "fault", "runs", "appends", "acked (201)", "lost", "duplicated",
              "JSON 503", "closed", "stored, no 201", "max stall s", "health 200 s"]

    def cell(row, key):
        value = row[key]
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    cells = [[cell(row, key) for key in headings] for row in rows]
    widths = [max(len(title), *(len(line[n]) for line in cells)) for n, title in
              enumerate(titles)]
    lines = ["| " + " | ".join(t.ljust(w) for t, w in zip(titles, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) if n < 2 else c.rjust(w)
                                for n, (c, w) in enumerate(zip(line, widths))) + " |"
              for line in cells]
    return "\n".join(lines)
