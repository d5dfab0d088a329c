"""`filter_users` over Graph-shaped user dicts, from Python, conversion included.

    python bindings-python/benches/bench_filter.py [--users 100000] [--runs 15]

The users are what a host has straight from Microsoft Graph or its own database: `mail` instead of
the contract's `email`, some contract keys missing (`givenName`, `surname`, `jobTitle`,
`otherMails`, `proxyAddresses` on some users), and Graph's own keys (`id`, `@odata.type`,
`createdDateTime`, `department`). The options hold two custom patterns, so every rule runs.

For each form of the result it prints the median and the best of `--runs` warm calls (after two
untimed calls), with everything from reading the dicts to the finished result inside the timing:

- `returns="inputs"`: the caller's own user objects;
- `returns="positions"`: their indices;
- `returns="records"` (the default): canonical user records;
- the same default form over the same users in the canonical contract shape (every key present,
  `email`), whose dicts are handed back as they are.

The data is synthetic and deterministic.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time
from typing import Any, Callable, Dict, List

import entra_sync

TENANT = "5f0c2b9a-0000-4000-8000-000000000001"
OPTIONS = {"customExclusionPatterns": ["^svc-", "backup"], "includeGuests": False}


def graph_user(i: int) -> Dict[str, Any]:
    kind = i % 20
    user: Dict[str, Any] = {
        "@odata.type": "#microsoft.graph.user",
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "entraTenantId": TENANT,
        "entraObjectId": f"00000000-0000-4000-8000-{i:012d}",
        "userPrincipalName": f"user{i}@contoso.com",
        "mail": f"user{i}@contoso.com",
        "displayName": f"User Number {i}",
        "accountEnabled": kind != 3,
        "userType": "Guest" if kind == 7 else "Member",
        "mobilePhone": f"+1 555 {i % 10000:04d}",
        "businessPhones": [f"+1 444 {i % 10000:04d}"],
        "assignedLicenseSkuIds": [] if kind == 5 else ["c42b9cae-ea4f-4ab7-9717-81576235ccac"],
        "createdDateTime": "2024-01-15T09:30:00Z",
        "department": "Engineering",
    }
    if i % 2:
        user["givenName"] = "User"
        user["surname"] = f"Number {i}"
        user["jobTitle"] = "Engineer"
        user["proxyAddresses"] = [f"SMTP:user{i}@contoso.com", f"smtp:u{i}@contoso.net"]
    if kind == 11:
        user["userPrincipalName"] = f"svc-backup{i}@contoso.com"
        user["displayName"] = "Backup Service Account"
    if kind == 13:
        user["mail"] = None
    return user


def canonical_user(i: int) -> Dict[str, Any]:
    graph = graph_user(i)
    return {
        "entraTenantId": TENANT,
        "entraObjectId": graph["entraObjectId"],
        "userPrincipalName": graph["userPrincipalName"],
        "email": graph["mail"],
        "otherMails": [],
        "proxyAddresses": graph.get("proxyAddresses", []),
        "displayName": graph["displayName"],
        "givenName": graph.get("givenName"),
        "surname": graph.get("surname"),
        "accountEnabled": graph["accountEnabled"],
        "userType": graph["userType"],
        "jobTitle": graph.get("jobTitle"),
        "mobilePhone": graph["mobilePhone"],
        "businessPhones": graph["businessPhones"],
        "assignedLicenseSkuIds": graph["assignedLicenseSkuIds"],
    }


def timed(runs: int, fn: Callable[[], Any]) -> List[float]:
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    graph = [graph_user(i) for i in range(args.users)]
    canonical = [canonical_user(i) for i in range(args.users)]
    graph_input = {"users": graph, "options": OPTIONS}
    canonical_input = {"users": canonical, "options": OPTIONS}
    out = entra_sync.filter_users(graph_input, returns="inputs")
    print(
        f"filter_users over {args.users:,} users ({len(out['excluded']):,} excluded), "
        f"median / best of {args.runs} warm runs, CPython {platform.python_version()}"
    )
    del out
    cases = [
        ("Graph-shaped, returns=\"inputs\"", lambda: entra_sync.filter_users(graph_input, returns="inputs")),
        ("Graph-shaped, returns=\"positions\"", lambda: entra_sync.filter_users(graph_input, returns="positions")),
        ("Graph-shaped, returns=\"records\"", lambda: entra_sync.filter_users(graph_input)),
        ("canonical, returns=\"records\"", lambda: entra_sync.filter_users(canonical_input)),
    ]
    for label, fn in cases:
        times = timed(args.runs, fn)
        print(f"  {label:36} {statistics.median(times) * 1000:8.1f} ms  (best {min(times) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
