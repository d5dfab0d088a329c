"""Seeds each fuzz target's corpus from the shared JSON vectors (inputs in the contract shape),
so the fuzzers start from realistic records instead of empty bytes. Existing files are kept."""

from __future__ import annotations

import hashlib
import re
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
CORPUS = ROOT / "fuzz" / "corpus"
# The contract target's first byte picks a function in the order of entra_core::api::FUNCTIONS,
# read from the source so the two never drift apart.
API = (ROOT / "entra-core" / "src" / "api.rs").read_text()
FUNCTIONS = re.findall(r'"(\w+)"', API[API.index("pub const FUNCTIONS") : API.index("];", API.index("pub const FUNCTIONS"))])


def put(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> None:
    for path in sorted(VECTORS.glob("*/*.json")):
        case = json.loads(path.read_text())
        function = case.get("function", path.parent.name)
        text = json.dumps(case["input"]).encode()
        if function in FUNCTIONS:
            put("contract_json", bytes([FUNCTIONS.index(function)]) + text)
        if function == "plan_tenant_sync":
            put("plan_invariants", text)
        if function == "preview_mappings":
            put("preview_invariants", text)
        if function == "validate_patterns":
            patterns = case["input"].get("patterns", []) if isinstance(case["input"], dict) else case["input"]
            put("patterns", "\n".join(str(p) for p in patterns).encode())
    users = {"value": [{"id": "1", "userPrincipalName": "ann@contoso.com", "accountEnabled": True}],
             "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=x"}
    put("graph_responses", b"\x00" + json.dumps(users).encode())
    put("graph_responses", b"\x01" + b'120\n{"error":{"code":"TooManyRequests","message":"slow down"}}')
    put("graph_responses", b"\x02" + b'{"error":"invalid_grant","error_description":"AADSTS70000","error_codes":[70000]}')
    put("graph_responses", b"\x05" + b"https://graph.microsoft.com/v1.0/users?$skiptoken=y")
    put("cipp_responses", b"\x00" + json.dumps([{"customerId": "t1", "defaultDomainName": "contoso.com",
                                                  "displayName": "Contoso"}]).encode())
    put("cipp_responses", b"\x01" + json.dumps({"Results": [{"id": "u1", "userPrincipalName": "a@b.com"}],
                                                 "Metadata": {"nextLink": None}}).encode())
    for domain in [b"https://www.Contoso.com/", b"xn--bcher-kva.example", b"ann@fabrikam.co.uk"]:
        put("domains", domain)
    put("oauth_state", b"tenant-1\nuser-1")


if __name__ == "__main__":
    main()
