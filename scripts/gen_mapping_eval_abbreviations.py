#!/usr/bin/env python3
"""Writes tests/data/mapping_eval_abbreviations.json: real company names against abbreviated forms.

Tenant display names are typed by whoever set the tenant up, and they often shorten the business
words of the name ("Cisco Sys", "Charter Comms Inc", "Abbott Labs"), while the CRM holds the
registered name, or the other way round. Every positive pair here is a real organisation's name
with some of its business words written the way people abbreviate them (a table contraction such
as "Mgmt", a dotted cut such as "Instr.", or a bare cut such as "Semicond"), with varied legal
suffixes, in both directions. The hard negatives are real organisations that share a first word
with another one ("Lincoln Financial" and "Lincoln Electric"), written with the same kind of
abbreviations, and prefix traps ("Delta Med" is not "Delta Media").

Deterministic (no randomness): run it again and the file is byte-identical. The evaluation
(`entra-core/tests/mapping_eval.rs`) scores every tenant of this file and of
`tests/data/mapping_eval.json` against every client of both.

Usage: python3 scripts/gen_mapping_eval_abbreviations.py
"""

import json
import os

# How people shorten business words. Several forms per word; the form used is picked by position
# so that each appears. Forms are contractions, dotted cuts and bare cuts seen in CRM and tenant
# names.
SHORT = {
    "Systems": ["Sys", "Sys.", "Syst"],
    "Engineering": ["Eng", "Eng.", "Engrg", "Engg"],
    "Engineers": ["Engrs", "Eng."],
    "Communications": ["Comms", "Commun.", "Comm.", "Communic"],
    "Industries": ["Inds", "Ind.", "Indus"],
    "Financial": ["Finl", "Fin.", "Fincl"],
    "Group": ["Grp", "Grp."],
    "Properties": ["Props", "Prop.", "Ppty"],
    "Laboratories": ["Labs", "Lab.", "Labs."],
    "Medical": ["Med", "Med.", "Medcl"],
    "Equipment": ["Equip", "Equip.", "Eqpt"],
    "Technology": ["Tech", "Tech.", "Techn"],
    "Technologies": ["Tech", "Techs", "Technol."],
    "Telecommunications": ["Telecom", "Telecomm", "Telecom."],
    "International": ["Intl", "Int'l", "Intl."],
    "Manufacturing": ["Mfg", "Mfg.", "Manuf."],
    "Services": ["Svcs", "Svc", "Serv."],
    "Management": ["Mgmt", "Mgt", "Mgmt."],
    "Associates": ["Assoc", "Assoc.", "Assocs"],
    "National": ["Natl", "Nat'l", "Natl."],
    "Brothers": ["Bros", "Bros."],
    "Department": ["Dept", "Dept."],
    "University": ["Univ", "Univ."],
    "Hospital": ["Hosp", "Hosp."],
    "Center": ["Ctr", "Ctr.", "Cntr"],
    "Distribution": ["Dist", "Distrib.", "Distr"],
    "Distributors": ["Distr", "Distrib."],
    "Electric": ["Elec", "Elec.", "Elect."],
    "Electrical": ["Elec", "Elect."],
    "Pharmaceuticals": ["Pharma", "Pharm.", "Pharms"],
    "Pharmaceutical": ["Pharma", "Pharm."],
    "Instruments": ["Instr.", "Instrs", "Instrum"],
    "Semiconductor": ["Semicond", "Semi.", "Semicon"],
    "Networks": ["Ntwks", "Netw.", "Netwks"],
    "Holdings": ["Hldgs", "Hldg", "Hold."],
    "Enterprises": ["Ent.", "Entpr", "Enterpr."],
    "Resources": ["Res.", "Rsrcs", "Resrc"],
    "Solutions": ["Solns", "Sol.", "Solut."],
    "Products": ["Prods", "Prod.", "Prods."],
    "Insurance": ["Ins.", "Ins", "Insur."],
    "Partners": ["Ptnrs", "Partn."],
    "Development": ["Dev.", "Devel", "Dvlpmt"],
    "Construction": ["Constr.", "Const.", "Constr"],
    "Consultants": ["Consult.", "Cnslts"],
    "Environmental": ["Envtl", "Env.", "Environ."],
    "Transportation": ["Transp.", "Transp", "Trans."],
    "Electronics": ["Electr.", "Elecs", "Electronic"],
    "Investment": ["Inv.", "Invest.", "Invt"],
    "Investments": ["Invts", "Invest."],
    "Realty": ["Rlty", "Rlty."],
    "Software": ["Sftwr", "Softw."],
    "Association": ["Assn", "Assoc."],
    "Supply": ["Sply", "Sup.", "Supp"],
    "American": ["Amer.", "Amer"],
    "Scientific": ["Sci.", "Scient."],
    "Biosciences": ["Biosci", "Biosci."],
    "Therapeutics": ["Thera.", "Therap", "Ther."],
    "Chemical": ["Chem", "Chem."],
    "Chemicals": ["Chems", "Chem."],
    "Materials": ["Matls", "Mat.", "Mtls"],
    "Machinery": ["Mach.", "Mchy"],
    "Automotive": ["Auto.", "Automot."],
    "Capital": ["Cap.", "Cptl"],
    "Company": ["Co", "Co."],
    "Corporation": ["Corp", "Corp."],
}

# Real organisations, each with the words that get shortened (in the order they appear).
POSITIVE = [
    "Cisco Systems", "Adobe Systems", "Cadence Design Systems", "Merit Medical Systems",
    "Casella Waste Systems", "Monolithic Power Systems", "NetScout Systems", "Varonis Systems",
    "Intrepid Control Systems", "Alaska Communications Systems",
    "Jacobs Engineering Group", "Schweitzer Engineering Laboratories", "HDR Engineering",
    "Barr Engineering", "Langan Engineering and Environmental Services", "Carollo Engineers",
    "Charter Communications", "Frontier Communications", "Consolidated Communications",
    "Cogent Communications", "Iridium Communications", "Ribbon Communications",
    "Koch Industries", "Mohawk Industries", "Armstrong World Industries", "Worthington Industries",
    "Valmont Industries", "Mueller Industries", "Winnebago Industries", "Cavco Industries",
    "Lincoln Financial Group", "Principal Financial Group", "Ameriprise Financial",
    "Raymond James Financial", "Regions Financial", "Genworth Financial", "Stifel Financial",
    "Omnicom Group", "Interpublic Group", "Carlyle Group", "Hanover Insurance Group",
    "Simon Property Group", "Boston Properties", "Highwoods Properties", "Cousins Properties",
    "Hudson Pacific Properties", "Abbott Laboratories", "Charles River Laboratories",
    "IDEXX Laboratories", "Bio-Rad Laboratories", "Underwriters Laboratories",
    "Globus Medical", "ICU Medical", "Natus Medical", "Utah Medical Products",
    "Boston Medical Center", "Tufts Medical Center", "Maine Medical Center",
    "H&E Equipment Services", "Alta Equipment Group", "RDO Equipment", "James River Equipment",
    "Akamai Technologies", "Zebra Technologies", "Keysight Technologies", "Lumen Technologies",
    "Micron Technology", "Seagate Technology", "Amkor Technology", "Marvell Technology",
    "Shenandoah Telecommunications", "Comtech Telecommunications", "TDS Telecommunications",
    "International Paper", "Marriott International", "Honeywell International",
    "Albany International", "Standex International", "Oceaneering International",
    "Simpson Manufacturing", "Modine Manufacturing", "American Axle & Manufacturing",
    "Quanta Services", "Primoris Services", "Key Energy Services", "Select Energy Services",
    "Apollo Global Management", "Ares Management", "Artisan Partners Asset Management",
    "Kimley-Horn and Associates", "Walter P Moore and Associates", "Pennoni Associates",
    "Halff Associates", "National Instruments", "National Fuel Gas", "National Beverage",
    "National Presto Industries", "Brown Brothers Harriman", "Ritchie Brothers Auctioneers",
    "Johnson Brothers Liquor Company", "Texas Department of Transportation",
    "Ohio Department of Health", "Vanderbilt University", "Drexel University",
    "Clemson University", "Purdue University", "Johns Hopkins Hospital",
    "Massachusetts General Hospital", "Houston Methodist Hospital",
    "Moffitt Cancer Center", "Fred Hutchinson Cancer Center", "Hackensack University Medical Center",
    "Consolidated Electrical Distributors", "Republic National Distributing Company",
    "General Electric", "Emerson Electric", "Lincoln Electric", "Graybar Electric",
    "Franklin Electric", "Jazz Pharmaceuticals", "Vertex Pharmaceuticals",
    "Regeneron Pharmaceuticals", "Ionis Pharmaceuticals", "Supernus Pharmaceuticals",
    "Teva Pharmaceutical Industries", "Texas Instruments", "Veeco Instruments",
    "Lattice Semiconductor", "ON Semiconductor", "Arista Networks", "Extreme Networks",
    "Juniper Networks", "Ultra Clean Holdings", "Ichor Holdings", "Apogee Enterprises",
    "DXP Enterprises", "Newpark Resources", "Pioneer Natural Resources", "Viavi Solutions",
    "Helix Energy Solutions", "Preformed Line Products", "Air Products and Chemicals",
    "Pacira Biosciences", "Neurocrine Biosciences", "Sarepta Therapeutics",
    "Corcept Therapeutics", "Eastman Chemical", "Huntsman Chemicals", "Summit Materials",
    "Applied Materials", "Titan Machinery", "Check Point Software Technologies",
    "Fidelity National Financial", "American Electric Power", "Thermo Fisher Scientific",
    "Granite Construction", "Tutor Perini Construction", "Terracon Consultants",
    "Geosyntec Consultants", "Tetra Tech Environmental", "Kirby Risk Electrical Supply",
    "Crescent Electric Supply", "Kilroy Realty", "Kimco Realty", "Affiliated Managers Group",
    "SEI Investments", "Diamond Hill Investment Group", "American Automotive Association",
    "Benchmark Electronics", "Kimball Electronics", "Arrow Electronics", "Tejon Ranch Company",
    "Howard Hughes Corporation", "Ensign Bickford Industries",
]

# Real organisations sharing a first word with one of the positives (or with each other), and
# prefix traps: a tenant abbreviating one business must not be offered another.
NEGATIVE = [
    ("Lincoln Financial Group", "Lincoln Electric"), ("Lincoln Electric", "Lincoln Property Company"),
    ("General Electric", "General Dynamics"), ("General Electric", "General Mills"),
    ("National Instruments", "National Grid"), ("National Fuel Gas", "National Vision"),
    ("National Beverage", "National HealthCare"), ("American Electric Power", "American Express"),
    ("American Axle & Manufacturing", "American Airlines"), ("Boston Properties", "Boston Scientific"),
    ("Boston Medical Center", "Boston Beer Company"), ("Texas Instruments", "Texas Roadhouse"),
    ("Texas Department of Transportation", "Texas Capital Bancshares"),
    ("Charles River Laboratories", "Charles Schwab"), ("Applied Materials", "Applied Industrial Technologies"),
    ("Simon Property Group", "Simon & Schuster"), ("Summit Materials", "Summit Health"),
    ("Granite Construction", "Granite Telecommunications"), ("Eastman Chemical", "Eastman Kodak"),
    ("Franklin Electric", "Franklin Resources"), ("Regions Financial", "Regions Hospital"),
    ("Consolidated Communications", "Consolidated Edison"), ("Key Energy Services", "Key Food Stores"),
    ("Select Energy Services", "Select Medical"), ("Johnson Brothers Liquor Company", "Johnson Controls"),
    ("Brown Brothers Harriman", "Brown Forman"), ("Pioneer Natural Resources", "Pioneer Electronics"),
    ("Arrow Electronics", "Arrow Financial"), ("Kimball Electronics", "Kimball International"),
    ("Cisco Systems", "Cisco Brewers"), ("Tufts Medical Center", "Tufts University"),
    ("Maine Medical Center", "Maine Savings Bank"), ("Massachusetts General Hospital", "Massachusetts Mutual Life"),
    ("Ohio Department of Health", "Ohio Machinery Company"), ("Hudson Pacific Properties", "Hudson Global"),
    ("Delta Medical", "Delta Media Group"), ("Cascade Engineering", "Cascade Energy"),
    ("Phoenix Technologies", "Phoenix Textiles"), ("Atlas Industries", "Atlas Indemnity"),
    ("Premier Medical", "Premier Media"), ("Pacific Communications", "Pacific Commercial Bank"),
    ("Summit Equipment", "Summit Equity Partners"), ("Apex Distribution", "Apex Distillers"),
    ("Crown Properties", "Crown Prosthetics"), ("Vector Management", "Vector Marketing"),
    ("Harbor Pharmaceuticals", "Harbor Pharmacy"), ("Frontier Communications", "Frontier Airlines"),
    ("Genworth Financial", "Genesis Financial Solutions"), ("Omnicom Group", "Omnicell"),
    ("Globus Medical", "Globe Life"), ("Jazz Pharmaceuticals", "Jazz Aviation"),
]

# Legal forms, cycled over both sides.
SUFFIXES = ["", " Inc", ", Inc.", " LLC", " Corp.", " Co.", " Ltd", ", L.L.C."]

pairs = []
tenant_seq = 0
client_ids = {}


def tenant(name):
    global tenant_seq
    tenant_seq += 1
    return {"entraTenantId": f"ta-{tenant_seq:04d}", "displayName": name, "domains": []}


def client(name):
    if name not in client_ids:
        client_ids[name] = f"ca-{len(client_ids) + 1:04d}"
    return {"clientId": client_ids[name], "clientName": name, "domains": [], "secondaryDomains": []}


def pair(category, t, c, match, note=""):
    pairs.append({"category": category, "match": match, "note": note, "tenant": t, "client": c})


_uses = {}


def shorten(name, seed):
    """The name with every shortenable word (but the first) written in one of its short forms;
    the first word is shortened only when the name has no other shortenable word."""
    words = name.split(" ")
    shortenable = [i for i, w in enumerate(words) if w in SHORT and i > 0]
    if not shortenable and words[0] in SHORT:
        shortenable = [0]
    out = list(words)
    for k, i in enumerate(shortenable):
        # Shorten the last business word always, earlier ones every other name.
        if k != len(shortenable) - 1 and (seed + k) % 2:
            continue
        forms = SHORT[words[i]]
        n = _uses.get(words[i], 0)
        _uses[words[i]] = n + 1
        out[i] = forms[(n + seed) % len(forms)]
    return " ".join(out)


# Public bodies and names that already end in a legal form get no further suffix.
NO_SUFFIX = ("Department", "University", "Hospital", "Center", "Company", "Corporation")


def suffix(name, k):
    if any(w in name.split(" ") for w in NO_SUFFIX):
        return ""
    return SUFFIXES[k % len(SUFFIXES)]


true_client = {}
for i, name in enumerate(POSITIVE):
    short = shorten(name, i)
    suffix_a = suffix(name, i)
    suffix_b = suffix(name, i * 3 + 1)
    if i % 7 == 3:
        short = "The " + short
    if i % 5 == 2:
        short = short.upper()
    if i % 2:
        # The CRM holds the registered name; the tenant was typed short.
        c = client(name + suffix_b)
        pair("abbreviation_real", tenant(short + suffix_a), c, True)
    else:
        # The tenant carries the registered name; the CRM entry was typed short.
        c = client(short + suffix_b)
        pair("abbreviation_real", tenant(name + suffix_a), c, True)
    true_client[name] = c

for i, (own, other) in enumerate(NEGATIVE):
    short = shorten(own, i + 1)
    t = tenant(short + suffix(own, i + 2))
    pair("abbreviation_hard_negative", t, client(other), False,
         "same first word or a prefix of another business word")
    # The organisation the tenant belongs to is present, so the trap competes with it.
    pair("abbreviation_hard_negative", t, true_client.get(own) or client(own), True,
         "the true client is present")

out = {
    "description": "Real organisation names against abbreviated forms of their business words, "
                   "with hard negatives sharing a first word. Generated by "
                   "scripts/gen_mapping_eval_abbreviations.py; `match` says whether an operator "
                   "maps the tenant to the client.",
    "pairs": pairs,
}
path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mapping_eval_abbreviations.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
    f.write("\n")
pos = sum(p["match"] for p in pairs)
print(f"{len(pairs)} pairs ({pos} positive, {len(pairs) - pos} negative)")
