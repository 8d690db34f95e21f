#!/usr/bin/env python3
"""DuckDB peer for the stage-1 features benchmark (see scripts/bench-features).

Computes, per (principal, 5-minute window), the rows defined in WORKLOAD.md:
  principal,window_start,n_events,n_methods,n_ips,n_failed,n_services
from GCP audit log JSON lines, and writes them as CSV (with header).

Usage: duckdb_features.py INPUT.jsonl OUT.csv [--threads N]
"""
import argparse
import sys
import time

import duckdb

# Only the nested fields the features need. `status` is absent, `{}` or
# `{code, message}`: as a STRUCT, both absent and `{}` give code = NULL (not failed).
COLUMNS = """{
  'timestamp': 'VARCHAR',
  'protoPayload': 'STRUCT(
      serviceName VARCHAR,
      methodName VARCHAR,
      authenticationInfo STRUCT(principalEmail VARCHAR),
      requestMetadata STRUCT(callerIp VARCHAR),
      status STRUCT(code BIGINT)
  )'
}"""

QUERY = """
COPY (
  SELECT
    protoPayload.authenticationInfo.principalEmail AS principal,
    -- floor(epoch seconds / 300) * 300, exact: TIMESTAMP_NS keeps the nanoseconds, so a
    -- timestamp a few ns before a window edge is never rounded into the next window.
    -- Event times are after 1970, so integer // is the floor.
    (epoch_ns(CAST(timestamp AS TIMESTAMP_NS)) // 300000000000) * 300 AS window_start,
    count(*) AS n_events,
    count(DISTINCT protoPayload.methodName) AS n_methods,
    count(DISTINCT protoPayload.requestMetadata.callerIp) AS n_ips,
    count(*) FILTER (WHERE protoPayload.status.code IS NOT NULL
                       AND protoPayload.status.code <> 0) AS n_failed,
    count(DISTINCT protoPayload.serviceName) AS n_services
  FROM read_ndjson(?, columns = {columns})
  GROUP BY ALL
) TO '{out}' (FORMAT csv, HEADER true)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute("SET preserve_insertion_order = false")
    t0 = time.perf_counter()
    con.execute(
        QUERY.replace("{columns}", COLUMNS).replace("{out}", args.out.replace("'", "''")),
        [args.input],
    )
    dt = time.perf_counter() - t0
    print(f"duckdb {duckdb.__version__}: query {dt:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
