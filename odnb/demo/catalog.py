"""Facts the demo practice is built from, as data: CDT codes and 2026 UCR fees, providers, operatories,
clinics, definitions, carriers, rosters and the small name lists the fictional patients are drawn from.

Everything here is fictional except the CDT codes themselves. Phone numbers use the reserved 555-01xx
range and e-mail addresses the reserved example.com domain.

Example:
    >>> CODES["D1110"].fee
    120.0
    >>> CODES["D4910"].hygiene
    True
"""

from __future__ import annotations

from dataclasses import dataclass

# ----------------------------------------------------------------------------------------------------------
# Procedure codes. fee = UCR fee in 2026 USD; earlier years are discounted by FEE_INFLATION per year.
# cat = procedure category (a ProcCodeCats definition, see DEFINITIONS); ins = insurance coverage class.
# time = appointment time pattern, one char per 5 minutes ('/' assistant, 'X' provider).
# area = Open Dental TreatmentArea: 0 none, 1 surface, 2 tooth, 3 mouth, 4 quad.


@dataclass(frozen=True)
class Code:
    """One CDT code of the practice's procedure code list."""

    code: str
    descript: str
    abbr: str
    fee: float
    cat: str
    ins: str  # "prev" (100%), "basic" (80%), "major" (50%), "none" (not billed)
    hygiene: bool = False
    area: int = 3
    time: str = "/X/"


_CODE_LIST: tuple[Code, ...] = (
    Code("D0120", "periodic oral evaluation - established patient", "PerEx", 65.0, "Exams & X-Rays", "prev"),
    Code(
        "D0140",
        "limited oral evaluation - problem focused",
        "LimEx",
        95.0,
        "Exams & X-Rays",
        "prev",
        time="/XX/",
    ),
    Code(
        "D0150",
        "comprehensive oral evaluation - new or established patient",
        "CompEx",
        115.0,
        "Exams & X-Rays",
        "prev",
        time="/XXX/",
    ),
    Code(
        "D0210",
        "intraoral - comprehensive series of radiographic images",
        "FMX",
        165.0,
        "Exams & X-Rays",
        "prev",
        hygiene=True,
        time="/XX/",
    ),
    Code(
        "D0220",
        "intraoral - periapical first radiographic image",
        "PA",
        38.0,
        "Exams & X-Rays",
        "prev",
        area=2,
    ),
    Code(
        "D0230",
        "intraoral - periapical each additional radiographic image",
        "PA2",
        32.0,
        "Exams & X-Rays",
        "prev",
        area=2,
    ),
    Code("D0272", "bitewings - two radiographic images", "2BW", 60.0, "Exams & X-Rays", "prev", hygiene=True),
    Code(
        "D0274", "bitewings - four radiographic images", "4BW", 80.0, "Exams & X-Rays", "prev", hygiene=True
    ),
    Code("D0330", "panoramic radiographic image", "Pano", 140.0, "Exams & X-Rays", "prev", hygiene=True),
    Code("D1110", "prophylaxis - adult", "Pro", 120.0, "Cleanings", "prev", hygiene=True, time="/XXXXXXXX/"),
    Code("D1120", "prophylaxis - child", "ProCh", 85.0, "Cleanings", "prev", hygiene=True, time="/XXXXX/"),
    Code(
        "D1206", "topical application of fluoride varnish", "FlVar", 45.0, "Cleanings", "prev", hygiene=True
    ),
    Code(
        "D1208",
        "topical application of fluoride - excluding varnish",
        "Flo",
        40.0,
        "Cleanings",
        "prev",
        hygiene=True,
    ),
    Code("D1351", "sealant - per tooth", "Seal", 60.0, "Cleanings", "prev", hygiene=True, area=2),
    Code(
        "D4341",
        "periodontal scaling and root planing - four or more teeth per quadrant",
        "SRP4",
        285.0,
        "Periodontics",
        "basic",
        hygiene=True,
        area=4,
        time="/XXXXXXXX/",
    ),
    Code(
        "D4342",
        "periodontal scaling and root planing - one to three teeth per quadrant",
        "SRP3",
        210.0,
        "Periodontics",
        "basic",
        hygiene=True,
        area=4,
        time="/XXXXXX/",
    ),
    Code(
        "D4355",
        "full mouth debridement",
        "FMD",
        190.0,
        "Periodontics",
        "basic",
        hygiene=True,
        time="/XXXXXXXX/",
    ),
    Code(
        "D4910",
        "periodontal maintenance",
        "PMaint",
        175.0,
        "Periodontics",
        "basic",
        hygiene=True,
        time="/XXXXXXXXX/",
    ),
    Code(
        "D2140",
        "amalgam - one surface, primary or permanent",
        "A1",
        160.0,
        "Fillings",
        "basic",
        area=1,
        time="/XXX/",
    ),
    Code(
        "D2150",
        "amalgam - two surfaces, primary or permanent",
        "A2",
        200.0,
        "Fillings",
        "basic",
        area=1,
        time="/XXXX/",
    ),
    Code(
        "D2330",
        "resin-based composite - one surface, anterior",
        "C1A",
        185.0,
        "Fillings",
        "basic",
        area=1,
        time="/XXX/",
    ),
    Code(
        "D2391",
        "resin-based composite - one surface, posterior",
        "C1P",
        210.0,
        "Fillings",
        "basic",
        area=1,
        time="/XXX/",
    ),
    Code(
        "D2392",
        "resin-based composite - two surfaces, posterior",
        "C2P",
        265.0,
        "Fillings",
        "basic",
        area=1,
        time="/XXXX/",
    ),
    Code(
        "D2393",
        "resin-based composite - three surfaces, posterior",
        "C3P",
        320.0,
        "Fillings",
        "basic",
        area=1,
        time="/XXXXX/",
    ),
    Code(
        "D2740",
        "crown - porcelain/ceramic",
        "CrPorc",
        1350.0,
        "Crown & Bridge",
        "major",
        area=2,
        time="//XXXXXXXX//",
    ),
    Code(
        "D2750",
        "crown - porcelain fused to high noble metal",
        "PFM",
        1300.0,
        "Crown & Bridge",
        "major",
        area=2,
        time="//XXXXXXXX//",
    ),
    Code(
        "D2950",
        "core buildup, including any pins when required",
        "BU",
        320.0,
        "Crown & Bridge",
        "major",
        area=2,
        time="/XX/",
    ),
    Code(
        "D3310",
        "endodontic therapy, anterior tooth (excluding final restoration)",
        "RCTAnt",
        950.0,
        "Endodontics",
        "basic",
        area=2,
        time="//XXXXXXXX//",
    ),
    Code(
        "D3330",
        "endodontic therapy, molar tooth (excluding final restoration)",
        "RCTMol",
        1400.0,
        "Endodontics",
        "basic",
        area=2,
        time="//XXXXXXXXXXXX//",
    ),
    Code(
        "D7140",
        "extraction, erupted tooth or exposed root",
        "Ext",
        225.0,
        "Oral Surgery",
        "basic",
        area=2,
        time="/XXXX/",
    ),
    Code(
        "D7210",
        "extraction, erupted tooth requiring removal of bone and/or sectioning of tooth",
        "SurgExt",
        395.0,
        "Oral Surgery",
        "basic",
        area=2,
        time="/XXXXXX/",
    ),
    Code(
        "D9110",
        "palliative treatment of dental pain - per visit",
        "Palliat",
        125.0,
        "Miscellaneous",
        "basic",
        time="/XX/",
    ),
    Code("D9986", "missed appointment", "Missed", 0.0, "Miscellaneous", "none", time="/"),
    Code("D9987", "cancelled appointment", "Cancel", 0.0, "Miscellaneous", "none", time="/"),
)

CODES: dict[str, Code] = {c.code: c for c in _CODE_LIST}
FEE_INFLATION = 0.035  # fees rise about 3.5% a year; 2026 is the base year
FEE_BASE_YEAR = 2026

COVERAGE_PERCENT: dict[str, int] = {"prev": 100, "basic": 80, "major": 50, "none": 0}
DEDUCTIBLE = 50.0  # per patient per calendar year, on basic and major services
ANNUAL_MAX = 1500.0  # per patient per calendar year

# Diagnosed treatment: (code, weight, acceptance probability). Drawn at exams that find something.
FINDINGS: tuple[tuple[str, float, float], ...] = (
    ("D2391", 0.26, 0.72),
    ("D2392", 0.20, 0.70),
    ("D2393", 0.05, 0.66),
    ("D2330", 0.08, 0.72),
    ("D2140", 0.03, 0.70),
    ("D2150", 0.03, 0.70),
    ("D2740", 0.12, 0.42),
    ("D2750", 0.04, 0.40),
    ("D3310", 0.03, 0.64),
    ("D3330", 0.05, 0.60),
    ("D7140", 0.06, 0.80),
    ("D7210", 0.05, 0.75),
)
POSTERIOR_TEETH = ("2", "3", "4", "5", "12", "13", "14", "15", "18", "19", "20", "21", "28", "29", "30", "31")
ANTERIOR_TEETH = ("6", "7", "8", "9", "10", "11", "22", "23", "24", "25", "26", "27")
SURFACES = {1: ("O", "M", "D", "B", "L"), 2: ("MO", "DO", "OB", "OL"), 3: ("MOD", "MOB", "DOL")}

# ----------------------------------------------------------------------------------------------------------
# Definitions: Category number -> item names (ItemValue after a '|'). Category numbers are Open Dental's.
DEFINITIONS: dict[int, tuple[str, ...]] = {
    1: (
        "Senior Discount|-",
        "Cash Discount|-",
        "Professional Courtesy|-",
        "Missed Appointment Fee|+",
        "Small Balance Write-off|-",
        "Collection Agency Write-off|-",
        "Finance Charge|+",
    ),
    2: ("Not Called|", "Unconfirmed|", "Appointment Confirmed|", "Left Msg|", "Texted|", "Arrived|"),
    4: ("Standard Account|", "Insurance Only|", "Collections|"),
    10: ("Check|", "Cash|", "Credit Card|", "Care Credit|"),
    11: (
        "Exams & X-Rays|",
        "Cleanings|",
        "Fillings|",
        "Crown & Bridge|",
        "Endodontics|",
        "Periodontics|",
        "Oral Surgery|",
        "Miscellaneous|",
    ),
    13: ("Left Msg|", "Mailed Postcard|", "Texted|", "Emailed|", "Will Call Back|"),
    25: ("Lunch|", "Staff Meeting|", "Emergency Hold|", "New Patient Hold|"),
    27: ("Appointment Related|", "Insurance|", "Financial|", "Recall|", "Misc|"),
    29: ("Prepayment|",),
    32: ("Check|", "EFT|"),
}
ADJ_SENIOR, ADJ_CASH, ADJ_COURTESY, ADJ_MISSED_FEE, ADJ_SMALL_WO, ADJ_COLLECTION_WO = range(6)

# ----------------------------------------------------------------------------------------------------------
# People and places of the practice.
CLINICS: tuple[tuple[str, str, str], ...] = (  # Description, Abbr, City
    ("Maple Street Dental", "MAPLE", "Brookhaven"),
    ("Riverside Dental", "RIVER", "Riverton"),
    ("Hilltop Family Dental", "HILL", "Fairview"),
)
# Abbr, FName, LName, Suffix, is hygienist, hidden (retired before the history window)
PROVIDERS: tuple[tuple[str, str, str, str, bool, bool], ...] = (
    ("DOC1", "Helen", "Marsh", "DDS", False, False),
    ("DOC2", "Robert", "Okafor", "DMD", False, False),
    ("HYG1", "Dana", "Whitfield", "RDH", True, False),
    ("HYG2", "Luis", "Serrano", "RDH", True, False),
    ("DOC0", "Walter", "Pruitt", "DDS", False, True),
)
# OpName, Abbrev, is hygiene op, clinic index (0-based) in one-clinic and three-clinic practices
OPERATORIES: tuple[tuple[str, str, bool, int, int], ...] = (
    ("Doctor 1", "OP1", False, 0, 0),
    ("Doctor 2", "OP2", False, 0, 1),
    ("Doctor 3", "OP3", False, 0, 2),
    ("Hygiene 1", "HYG1", True, 0, 0),
    ("Hygiene 2", "HYG2", True, 0, 1),
)
# Weekly rosters: (weekday 0=Mon, provider Abbr, op Abbrev, start, stop). Lunch 12:00-13:00.
ROSTER_ONE_CLINIC: tuple[tuple[int, str, str, str, str], ...] = (
    (0, "DOC1", "OP1", "08:00", "17:00"),
    (0, "DOC2", "OP2", "08:00", "17:00"),
    (0, "HYG1", "HYG1", "08:00", "17:00"),
    (0, "HYG2", "HYG2", "08:00", "17:00"),
    (1, "DOC1", "OP1", "08:00", "17:00"),
    (1, "DOC2", "OP2", "08:00", "17:00"),
    (1, "HYG1", "HYG1", "08:00", "17:00"),
    (1, "HYG2", "HYG2", "08:00", "17:00"),
    (2, "DOC1", "OP1", "08:00", "17:00"),
    (2, "DOC2", "OP2", "08:00", "17:00"),
    (2, "HYG1", "HYG1", "08:00", "17:00"),
    (2, "HYG2", "HYG2", "08:00", "17:00"),
    (3, "DOC1", "OP1", "08:00", "17:00"),
    (3, "DOC2", "OP2", "08:00", "17:00"),
    (3, "HYG1", "HYG1", "08:00", "17:00"),
    (3, "HYG2", "HYG2", "08:00", "17:00"),
    (0, "DOC1", "OP3", "08:00", "17:00"),
    (2, "DOC2", "OP3", "08:00", "17:00"),
    (4, "DOC1", "OP1", "08:00", "13:00"),
    (4, "HYG1", "HYG1", "08:00", "13:00"),
)
# Three clinics: OP1+HYG1 at clinic 1, OP2+HYG2 at clinic 2, OP3 (doctor and hygiene days) at clinic 3.
ROSTER_THREE_CLINICS: tuple[tuple[int, str, str, str, str], ...] = (
    (0, "DOC1", "OP1", "08:00", "17:00"),
    (1, "DOC1", "OP1", "08:00", "17:00"),
    (2, "DOC1", "OP1", "08:00", "17:00"),
    (3, "DOC1", "OP1", "08:00", "17:00"),
    (0, "DOC2", "OP2", "08:00", "17:00"),
    (1, "DOC2", "OP2", "08:00", "17:00"),
    (2, "DOC2", "OP2", "08:00", "17:00"),
    (3, "DOC2", "OP2", "08:00", "17:00"),
    (0, "HYG1", "HYG1", "08:00", "17:00"),
    (1, "HYG1", "HYG1", "08:00", "17:00"),
    (2, "HYG1", "HYG1", "08:00", "17:00"),
    (0, "HYG2", "HYG2", "08:00", "17:00"),
    (2, "HYG2", "HYG2", "08:00", "17:00"),
    (3, "HYG2", "HYG2", "08:00", "17:00"),
    (1, "HYG2", "OP3", "08:00", "17:00"),
    (3, "HYG1", "OP3", "08:00", "17:00"),
    (4, "DOC1", "OP3", "08:00", "15:00"),
    (4, "DOC2", "OP1", "08:00", "13:00"),
    (4, "HYG1", "HYG1", "08:00", "13:00"),
)
CLINIC_WEIGHTS_THREE = (0.45, 0.38, 0.17)

CARRIERS: tuple[tuple[str, str], ...] = (  # CarrierName, ElectID
    ("Summit Dental Mutual", "SDM01"),
    ("Bluepeak Dental", "BPK22"),
    ("Cascade Benefit Group", "CBG37"),
    ("Harborline Insurance", "HBL45"),
    ("Meridian Dental PPO", "MDP58"),
    ("Prairie States Dental", "PSD63"),
)
EMPLOYERS: tuple[str, ...] = (
    "Riverton School District",
    "Aldrich Manufacturing",
    "City of Brookhaven",
    "Granite Logistics",
    "Northwind Foods",
    "Fairview Medical Group",
    "Lakeside Credit Union",
    "Copperline Electric",
    "Evergreen Software",
    "County Public Works",
    "Harmon Retail",
    "Pinecrest Hotels",
)

FIRST_NAMES_F: tuple[str, ...] = (
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Margaret",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Emma",
    "Olivia",
    "Ava",
    "Sophia",
    "Isabella",
    "Mia",
    "Abigail",
    "Harper",
    "Ella",
    "Grace",
    "Chloe",
    "Lily",
    "Hannah",
)
FIRST_NAMES_M: tuple[str, ...] = (
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Jason",
    "Liam",
    "Noah",
    "Oliver",
    "Elijah",
    "Lucas",
    "Mason",
    "Logan",
    "Ethan",
    "Jacob",
    "Aiden",
    "Jackson",
    "Henry",
    "Owen",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
)
STREETS: tuple[str, ...] = (
    "Oak St",
    "Maple Ave",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Willow Way",
    "Birch Rd",
    "Aspen Ct",
    "Lakeview Dr",
    "Hillcrest Rd",
    "Sunset Blvd",
    "Meadow Ln",
    "Park Ave",
    "River Rd",
    "Orchard St",
    "Highland Ave",
    "Spring St",
    "Forest Dr",
    "Chestnut St",
    "Walnut Ave",
)
CITIES: tuple[tuple[str, str], ...] = (  # City, Zip prefix
    ("Brookhaven", "974"),
    ("Riverton", "974"),
    ("Fairview", "973"),
    ("Millbrook", "974"),
    ("Lakeside", "973"),
    ("Oak Ridge", "975"),
)
STATE = "OR"
AREA_CODE = "541"

BLOCKOUT_NOTES = ("Staff meeting", "Emergency hold", "New patient hold")
