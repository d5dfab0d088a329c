#!/usr/bin/env python3
"""Writes tests/data/mapping_eval.json: labelled tenant/client pairs for tenant-to-client matching.

Deterministic (no randomness): run it again and the file is byte-identical. Every pair names a
tenant (as a provider lists it) and a client (as the PSA stores it) and says whether an operator
would map that tenant to that client. Core words are invented and unique per group, so pairs of
different groups do not match each other by accident; the evaluation scores every tenant against
every client of the file.

Usage: python3 scripts/gen_mapping_eval.py
"""

import json
import os

PREFIXES = ["Bran", "Cor", "Del", "Ever", "Fal", "Gran", "Hal", "Iron", "Jas", "Kel", "Lum",
            "Mar", "Nor", "Orin", "Pel", "Quen", "Ros", "Sel", "Tor", "Ul", "Ver", "Wex",
            "Yar", "Zen", "Ash", "Belk", "Cald", "Dun", "Elm", "Fenn", "Glen", "Hart", "Ives",
            "Kings", "Lyn", "Mill", "Nash", "Oak", "Penn", "Red", "Stan", "Thorn", "Up", "West"]
ENDINGS = ["dale", "ford", "ton", "wick", "mere", "crest", "field", "stone", "wood", "gate",
           "bury", "haven", "ridge", "port", "ville", "brook", "more", "land", "shire", "mont",
           "berg", "burn"]


def lev(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def core_words():
    words = []
    for e in ENDINGS:
        for p in PREFIXES:
            w = p + e
            if all(lev(w.lower(), o.lower()) > 1 for o in words):
                words.append(w)
    return words


CORES = core_words()
_next = 0


def core():
    global _next
    w = CORES[_next]
    _next += 1
    return w


pairs = []
tenant_seq = 0
client_seq = 0


def tenant(name, domains=None, primary=None):
    global tenant_seq
    tenant_seq += 1
    t = {"entraTenantId": f"t-{tenant_seq:04d}", "displayName": name,
         "domains": domains or []}
    if primary:
        t["primaryDomain"] = primary
    return t


def client(name, domains=None, secondary=None):
    global client_seq
    client_seq += 1
    return {"clientId": f"c-{client_seq:04d}", "clientName": name, "domains": domains or [],
            "secondaryDomains": secondary or []}


def pair(category, t, c, match, note=""):
    pairs.append({"category": category, "match": match, "note": note, "tenant": t, "client": c})


def onms(word):
    return f"{word.lower()}.onmicrosoft.com"


# 1. Legal form, case and punctuation variants of the same name.
SUFFIX_PAIRS = [("Inc.", "Corp"), ("LLC", ""), ("Ltd", "Limited"), ("GmbH", "AG"),
                ("Pty Ltd", "Pty. Limited"), ("S.A.", "SA"), ("B.V.", "BV"), ("", "Corporation"),
                ("plc", "PLC"), ("L.L.C.", "Inc"), ("SARL", ""), ("GmbH & Co. KG", "GmbH"),
                ("", "Co."), ("Company", "Co"), ("S.r.l.", ""), ("N.V.", "")]
INDUSTRIES = ["Dental", "Logistics", "Construction", "Plumbing", "Roofing", "Bakery", "Brewing",
              "Capital", "Labs", "Studio", "Foods", "Motors", "Energy", "Farms", "Travel",
              "Fitness", "Insurance", "Pharmacy", "Accounting", "Architects", "Engineering",
              "Printing", "Marine", "Veterinary", "Optical", "Textiles", "Robotics", "Analytics",
              "Catering", "Landscaping"]
for i in range(60):
    base = core()
    if i % 2:
        base = f"{base} {INDUSTRIES[i % len(INDUSTRIES)]}"
    a, b = SUFFIX_PAIRS[i % len(SUFFIX_PAIRS)]
    tname = f"{base} {a}".strip()
    cname = f"{base} {b}".strip()
    if i % 3 == 0:
        cname = cname.upper()
    if i % 5 == 0:
        tname = tname.replace(" ", ", ", 1) if " " in tname else tname
    pair("legal_suffix", tenant(tname, [onms(base.split()[0] + "x")]), client(cname), True)

# 2. Accents and transliterations.
TRANSLIT = [("Müller GmbH", "Mueller"), ("Schröder AG", "Schroeder"), ("Bäcker Söhne", "Baecker Soehne KG"),
            ("Jürgens Bau GmbH", "Juergens Bau"), ("Köhler & Partner", "Koehler and Partner"),
            ("Société Générale de Nettoyage", "Societe Generale de Nettoyage SA"),
            ("Crème Brûlée Café", "Creme Brulee Cafe"), ("Ærøskøbing Marine ApS", "Aeroskobing Marine"),
            ("Łódź Logistics", "Lodz Logistics"), ("Straße & Wege GmbH", "Strasse und Wege"),
            ("Núñez Abogados S.L.", "Nunez Abogados"), ("Göteborg Energi AB", "Goteborg Energi"),
            ("Françoise Fleurs SARL", "Francoise Fleurs"), ("Østergaard Consulting", "Ostergaard Consulting A/S"),
            ("Dvořák Hudba s.r.o.", "Dvorak Hudba")]
for t, c in TRANSLIT:
    pair("transliteration", tenant(t), client(c), True)

# 3. "&" versus "and".
for i in range(15):
    a, b = core(), core()
    pair("ampersand", tenant(f"{a} & {b}"), client(f"{a} and {b} {['LLP', 'Ltd', ''][i % 3]}".strip()), True)

# 4. Acronyms, and acronyms that happen to fit another company.
ACRONYMS = [("IBM", "International Business Machines Corporation", True),
            ("ABC", "American Broadcasting Company", True),
            ("KLM Corp", "Koninklijke Luchtvaart Maatschappij", True),
            ("HSBC", "Hongkong Shanghai Banking Corporation", True),
            ("BMW AG", "Bayerische Motoren Werke", True),
            ("UPS", "United Parcel Service", True),
            ("NCR", "National Cash Register Company", True),
            ("RWE", "Rheinisch Westfälisches Elektrizitätswerk", True),
            ("DHL", "Dalsey Hillblom Lynn", True),
            ("FBI Federal Credit Union", "Federal Bureau of Investigation", False),
            ("TPG", "Texas Pacific Group", True),
            ("GKN", "Guest Keen Nettlefolds", True)]
for t, c, m in ACRONYMS:
    pair("acronym", tenant(t), client(c), m)
for t, c in [("IBM", "Irish Bakery Makers"), ("UPS Store Fremont", "Universal Pool Supplies"),
             ("TLC Cleaning", "Tower Lane Consultants")]:
    pair("acronym_negative", tenant(t), client(c), False, "initials fit a different company")

# 5. Typos in a long word.
for i in range(15):
    base = core()
    ind = INDUSTRIES[(i + 7) % len(INDUSTRIES)]
    w = base.lower()
    typo = (w[:3] + w[4] + w[3] + w[5:]) if i % 2 else (w[:4] + w[4] + w[4:])
    pair("typo", tenant(f"{typo.capitalize()} {ind}"), client(f"{base} {ind} Inc"), True)

# 6. Joined or split words.
for i in range(10):
    a, b = core(), INDUSTRIES[(i + 3) % len(INDUSTRIES)]
    pair("joined_words", tenant(f"{a}{b.lower()}"), client(f"{a} {b}"), True)

# 7. A leading "The", word order.
for i in range(10):
    a, b = core(), core()
    if i % 2:
        pair("leading_the", tenant(f"The {a} {b} Company"), client(f"{a} {b}"), True)
    else:
        pair("word_order", tenant(f"{a} {b}"), client(f"{b} {a} Ltd"), True)

# 8. The tenant carries a shorter or longer form of the client's name.
for i in range(15):
    a = core()
    ind = INDUSTRIES[(i + 11) % len(INDUSTRIES)]
    extra = ["Group", "Holdings", "Services", "Solutions", "Partners"][i % 5]
    if i % 2:
        pair("longer_form", tenant(a), client(f"{a} {ind} {extra}"), True)
    else:
        pair("longer_form", tenant(f"{a} {ind} {extra} Inc"), client(f"{a} {ind}"), True)

# 8b. Abbreviations and tenant-side annotations.
ABBR = [("Intl Trading", "International Trading"), ("Mfg", "Manufacturing Inc"),
        ("Bros Roofing", "Brothers Roofing"), ("Medical Ctr", "Medical Centre"),
        ("Property Mgmt", "Property Management LLC"), ("Tech Partners", "Technologies Partners"),
        ("Natl Bank", "National Bank"), ("Svcs", "Services"), ("Assoc", "Associates PLLC"),
        ("Univ Press", "University Press")]
for i, (x, y) in enumerate(ABBR):
    a = core()
    pair("abbreviation", tenant(f"{a} {x}"), client(f"{a} {y}"), True)
for i, note in enumerate(["(Legacy)", "- Production", "EU", "Old Tenant", "[Migrated]"]):
    a = core()
    ind = INDUSTRIES[(i + 17) % len(INDUSTRIES)]
    pair("tenant_annotation", tenant(f"{a} {ind} {note}"), client(f"{a} {ind} Ltd"), True)

# 9. Hard negatives: same first word, a different business (one letter apart where possible).
HARD = [("Health", "Wealth"), ("Dental", "Rental"), ("Legal", "Medical"), ("Roofing", "Proofing"),
        ("Bakery", "Brewery"), ("Capital", "Hospital"), ("Logistics", "Linguistics"),
        ("Motors", "Meters"), ("Farms", "Firms"), ("Print", "Paint"), ("Marine", "Mining"),
        ("Foods", "Floors"), ("Travel", "Gravel"), ("Fitness", "Finance"), ("Labs", "Tabs"),
        ("Studio", "Audio"), ("Optical", "Tropical"), ("Catering", "Metering"),
        ("Energy", "Synergy"), ("Realty", "Reality")]
for i, (x, y) in enumerate(HARD):
    a = core()
    t = tenant(f"{a} {x}")
    if i % 2 == 0:
        pair("hard_negative", t, client(f"{a} {x} LLC"), True, "the true client is present")
    pair("hard_negative", t, client(f"{a} {y}"), False)
    if i % 3 == 0:
        pair("hard_negative", t, client(f"{a} {y} Group"), False)
# Alpha and Acme, the classic pairs, with their true clients present.
for (tn, good, bad) in [("Alpha Health", "Alpha Health Inc", "Alpha Wealth"),
                         ("Acme Dental", "Acme Dental PC", "Acme Rental"),
                         ("Acme", "Acme Corp", None)]:
    t = tenant(tn)
    pair("classic", t, client(good), True)
    if bad:
        pair("classic", t, client(bad), False)
# Names one typo apart that belong to different companies (tolerated typos make these hard).
for i in range(6):
    a = core()
    w = a.lower()
    other = w[:-1] + ("x" if w[-1] != "x" else "y")
    pair("near_name_negative", tenant(f"{a} {INDUSTRIES[i]}"),
         client(f"{other.capitalize()} {INDUSTRIES[i]}"), False)

# 10. Unrelated names.
for i in range(30):
    a, b = core(), core()
    pair("unrelated", tenant(f"{a} {INDUSTRIES[i % 30]}"), client(f"{b} {INDUSTRIES[(i + 13) % 30]}"), False)

# 11. Only a generic word in common.
GENERIC = ["Services", "Solutions", "Group", "Consulting", "Holdings", "Partners", "Systems",
           "Technologies", "International", "Management"]
for i in range(15):
    a, b = core(), core()
    g = GENERIC[i % len(GENERIC)]
    pair("generic_word", tenant(f"{a} {g}"), client(f"{b} {g}"), False)

# 12. Domain evidence (names unrelated on purpose).
for i in range(20):
    a, b = core(), core()
    d = f"{a.lower()}.com"
    style = i % 5
    tdom = [onms(a), d] if style != 4 else [onms(a), f"{a.lower()}.co.uk"]
    cdom = {0: [d], 1: [f"https://www.{d}/contact"], 2: [f"portal.{d}"], 3: [f"info@{d}"],
            4: [f"{a.lower()}.co.uk"]}[style]
    pair("exact_domain", tenant(f"{b} Head Office", tdom, d), client(f"{a} {INDUSTRIES[i % 30]}", cdom), True)
def puny(host):
    return ".".join(label.encode("idna").decode("ascii") for label in host.split("."))


for i, (uni, cli) in enumerate([("bücher-haus.de", puny("bücher-haus.de")), ("café-olé.fr", "https://www.café-olé.fr"),
                                ("straßen-bau.at", "STRASSEN-BAU.AT"), ("smörgås.se", puny("smörgås.se")),
                                ("øresund-teknik.dk", "http://øresund-teknik.dk/")]):
    a = core()
    pair("idn_domain", tenant(f"{a} Tenant", [onms(a), uni]), client(f"{core()} Kunde", [cli]),
         uni != "straßen-bau.at", "straße and strasse are different IDN labels" if uni == "straßen-bau.at" else "")
# Different registrable domains under one public suffix, public mailboxes, onmicrosoft.
for i in range(8):
    a, b = core(), core()
    pair("domain_negative", tenant(f"{a} Office", [f"{a.lower()}.co.uk"]),
         client(f"{b} Industries", [f"{b.lower()}.co.uk"]), False, "same public suffix only")
for i, mailbox in enumerate(["gmail.com", "outlook.com", "hotmail.co.uk", "gmx.de", "yahoo.com",
                             "icloud.com", "proton.me", "aol.com", "live.com", "gmx.net"]):
    a, b = core(), core()
    pair("public_mailbox", tenant(f"{a} Office", [onms(a), mailbox]),
         client(f"{b} Industries", [f"info@{mailbox}"], [mailbox]), False, "public mailbox is no evidence")
for i in range(5):
    a, b = core(), core()
    pair("onmicrosoft_domain", tenant(f"{a} Office", [onms(a)]),
         client(f"{b} Industries", [onms(a)]), False, "onmicrosoft domains are no evidence")

# 13. Secondary domains (billing address or contacts' email domains).
for i in range(10):
    a, b = core(), core()
    d = f"{a.lower()}-group.com"
    pair("secondary_domain", tenant(f"{b} Office", [onms(b), d]),
         client(f"{a} {INDUSTRIES[i]}", [], [f"billing@{d}"]), True)

# 14. The onmicrosoft label spells the client's name.
for i in range(10):
    a = core()
    ind = INDUSTRIES[(i + 5) % len(INDUSTRIES)]
    label = f"{a}{ind}".lower() if i % 2 else a.lower()
    pair("onmicrosoft_label", tenant("Main Office" if i % 3 else "", [f"{label}.onmicrosoft.com"]),
         client(f"{a} {ind}" if i % 2 else f"{a} Ltd"), True)

out = {
    "description": "Labelled tenant/client pairs for tenant-to-client matching. Generated by "
                   "scripts/gen_mapping_eval.py; `match` says whether an operator maps the tenant "
                   "to the client. Every tenant is scored against every client in the file.",
    "pairs": pairs,
}
path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mapping_eval.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
pos = sum(p["match"] for p in pairs)
print(f"{len(pairs)} pairs ({pos} positive, {len(pairs) - pos} negative), {len(CORES)} core words, {_next} used")
