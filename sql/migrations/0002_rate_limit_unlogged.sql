-- Rate-limit counters need no crash safety: an unlogged table skips the WAL, so counting a
-- request costs no disk flush at commit. After a crash the table starts empty, which forgives
-- at most one window of requests.
ALTER TABLE rate_limit SET UNLOGGED;
