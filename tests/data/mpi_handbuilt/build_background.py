"""Write background.csv: ~3,000 distinct people for the hand-built MPI test.

Deliberately NOT the project generator (no Faker, no shared pools): its own name lists,
household model and formatting habits (phones as "(919) 555-0123" or "919.555.0123", SSNs
with or without dashes, "Street" vs "St.", upper-case rows), so the linkage is tested on an
MPI whose quirks it has never seen. Contains its own hard negatives: households, twins
(some with look-alike names), juniors/seniors and people sharing common names. Nobody in
it is duplicated. Run from the repository root to regenerate (deterministic):

    python tests/data/mpi_handbuilt/build_background.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).parent
FEMALE = [
    "Mary",
    "Patricia",
    "Linda",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Nancy",
    "Lisa",
    "Betty",
    "Sandra",
    "Ashley",
    "Dorothy",
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
    "Sharon",
    "Cynthia",
    "Amy",
    "Angela",
    "Anna",
    "Brenda",
    "Pamela",
    "Nicole",
    "Ruth",
    "Katherine",
    "Samantha",
    "Christine",
    "Emma",
    "Catherine",
    "Debra",
    "Rachel",
    "Carolyn",
    "Janet",
    "Maria",
    "Heather",
    "Diane",
    "Julie",
    "Joyce",
    "Victoria",
    "Kelly",
    "Christina",
    "Joan",
    "Evelyn",
    "Lauren",
    "Judith",
    "Olivia",
    "Martha",
    "Cheryl",
    "Megan",
    "Andrea",
    "Hannah",
    "Jacqueline",
    "Ann",
    "Gloria",
    "Jean",
    "Kathryn",
    "Alice",
    "Teresa",
    "Sara",
    "Janice",
    "Doris",
    "Madison",
    "Julia",
    "Grace",
    "Judy",
    "Abigail",
    "Marie",
    "Denise",
    "Beverly",
    "Amber",
    "Theresa",
    "Marilyn",
    "Danielle",
    "Diana",
    "Brittany",
    "Natalie",
    "Sophia",
    "Rose",
    "Isabella",
    "Alexis",
    "Kayla",
    "Guadalupe",
    "Lucia",
    "Ximena",
    "Mei",
    "Ling",
    "Aaliyah",
    "Imani",
    "Keisha",
    "Priya",
    "Ananya",
    "Fatima",
    "Yesenia",
    "Thuy",
]
MALE = [
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
    "Edward",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Gregory",
    "Alexander",
    "Frank",
    "Patrick",
    "Raymond",
    "Jack",
    "Dennis",
    "Jerry",
    "Tyler",
    "Aaron",
    "Jose",
    "Adam",
    "Nathan",
    "Henry",
    "Douglas",
    "Zachary",
    "Peter",
    "Kyle",
    "Ethan",
    "Walter",
    "Noah",
    "Jeremy",
    "Christian",
    "Keith",
    "Roger",
    "Terry",
    "Gerald",
    "Harold",
    "Sean",
    "Austin",
    "Carl",
    "Arthur",
    "Lawrence",
    "Dylan",
    "Jesse",
    "Jordan",
    "Bryan",
    "Billy",
    "Joe",
    "Bruce",
    "Gabriel",
    "Logan",
    "Albert",
    "Willie",
    "Alan",
    "Juan",
    "Wayne",
    "Elijah",
    "Randy",
    "Roy",
    "Vincent",
    "Ralph",
    "Eugene",
    "Russell",
    "Bobby",
    "Mason",
    "Philip",
    "Louis",
    "Luis",
    "Carlos",
    "Miguel",
    "Hiroshi",
    "Wei",
    "Rajesh",
    "Darnell",
    "Tyrone",
    "Malik",
    "Jamal",
    "Nguyen",
    "Omar",
    "Ahmed",
    "Santiago",
    "Mateo",
]
SURNAMES = [
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
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Okafor",
    "Nakamura",
    "Chen",
    "Wang",
    "Singh",
    "Kowalski",
    "Schmidt",
    "O'Brien",
    "McDonald",
    "DeLuca",
    "Fitzgerald",
    "Washington",
    "Jefferson",
    "Banks",
]
STREETS = [
    "Oak",
    "Maple",
    "Pine",
    "Cedar",
    "Elm",
    "Walnut",
    "Chestnut",
    "Willow",
    "Birch",
    "Spruce",
    "Hickory",
    "Magnolia",
    "Dogwood",
    "Main",
    "Church",
    "Mill",
    "Park",
    "Lake",
    "Hill",
    "River",
    "Spring",
    "Forest",
    "Meadow",
    "Ridge",
    "Valley",
    "Sunset",
    "Highland",
    "Franklin",
    "Jefferson",
    "Madison",
    "Lincoln",
    "Jackson",
    "Washington",
    "Wilson",
    "Greene",
    "Lee",
    "Hawthorne",
]
SUFFIXES = [("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"),
            ("Lane", "Ln"), ("Court", "Ct"), ("Boulevard", "Blvd")]  # fmt: skip
CITIES = [("Raleigh", "27601"), ("Durham", "27701"), ("Cary", "27511"), ("Apex", "27502"),
          ("Garner", "27529"), ("Wake Forest", "27587"), ("Chapel Hill", "27514"),
          ("Wilson", "27893"), ("Sanford", "27330"), ("Fayetteville", "28301"),
          ("Greensboro", "27401"), ("Burlington", "27215"), ("Smithfield", "27577")]  # fmt: skip


class Maker:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.ssns: set[str] = set()
        self.phones: set[str] = set()
        self.n = 0

    def zipf(self, names: list[str]) -> str:
        # rank-weighted: the first names of each list are several times more common
        return self.r.choices(names, weights=[1 / (i + 5) for i in range(len(names))])[0]

    def ssn(self) -> str:
        while True:
            s = f"9{self.r.randint(0, 99):02d}{self.r.randint(1, 99):02d}{self.r.randint(1, 9999):04d}"
            if s not in self.ssns:
                self.ssns.add(s)
                return s if self.r.random() < 0.5 else f"{s[:3]}-{s[3:5]}-{s[5:]}"

    def phone(self) -> str:
        while True:
            p = f"{self.r.choice([919, 984, 336, 910])}{self.r.randint(200, 999)}{self.r.randint(0, 9999):04d}"
            if p not in self.phones:
                self.phones.add(p)
                style = self.r.random()
                if style < 0.4:
                    return f"({p[:3]}) {p[3:6]}-{p[6:]}"
                return f"{p[:3]}.{p[3:6]}.{p[6:]}" if style < 0.7 else p

    def home(self) -> dict[str, str]:
        long, short = self.r.choice(SUFFIXES)
        suffix = long if self.r.random() < 0.5 else short + ("." if self.r.random() < 0.3 else "")
        addr = f"{self.r.randint(10, 9899)} {self.r.choice(STREETS)} {suffix}"
        if self.r.random() < 0.1:
            addr += f", Apt {self.r.randint(1, 40)}{self.r.choice('ABCD')}"
        city, zip_ = self.r.choice(CITIES)
        return {"address": addr, "city": city, "state": "NC", "zip": zip_, "phone": self.phone()}

    def person(self, sex: str, last: str, born: date, home: dict[str, str], first: str = "",
               middle: str | None = "") -> dict[str, str]:  # fmt: skip
        self.n += 1
        names = FEMALE if sex == "F" else MALE
        first = first or self.zipf(names)
        if middle == "":
            middle = self.r.choice(names) if self.r.random() < 0.6 else None
        row = {"mrn": f"HB{self.n:06d}", "first_name": first, "middle_name": middle or "",
               "last_name": last, "sex": sex, "birth_date": born.isoformat(),
               "ssn": self.ssn() if self.r.random() > 0.15 else "", **home}  # fmt: skip
        if self.r.random() < 0.08:  # some registration systems shout
            row = {
                k: v.upper() if k in ("first_name", "last_name", "address") else v
                for k, v in row.items()
            }
        return row

    def birth(self, lo: int = 1930, hi: int = 2024) -> date:
        return date(lo, 1, 1) + timedelta(days=self.r.randint(0, (hi - lo) * 365))


def build(target: int = 3000, seed: int = 20260517) -> list[dict[str, str]]:
    m = Maker(seed)
    rows: list[dict[str, str]] = []
    while len(rows) < target:
        kind = m.r.random()
        home = m.home()
        last = m.zipf(SURNAMES)
        if kind < 0.55:  # living alone
            rows.append(m.person(m.r.choice("FM"), last, m.birth(), home))
        elif kind < 0.85:  # household: couple and children
            b = m.birth(1940, 1995)
            rows.append(m.person("F", last if m.r.random() < 0.85 else m.zipf(SURNAMES), b, home))
            rows.append(m.person("M", last, b + timedelta(days=m.r.randint(-1500, 1500)), home))
            for _ in range(m.r.randint(0, 3)):
                kid = b + timedelta(days=m.r.randint(20 * 365, 40 * 365))
                if kid < date(2025, 1, 1):
                    rows.append(m.person(m.r.choice("FM"), last, kid, home))
        elif kind < 0.95:  # twins (a few with look-alike names), same home and birth date
            b, sex = m.birth(1950, 2022), m.r.choice("FM")
            pairs = [("Jaden", "M", "Jaylen", "M"), ("Aaron", "M", "Erin", "F"),
                     ("Mason", "M", "Jason", "M"), ("Ava", "F", "Eva", "F"),
                     ("Ella", "F", "Emma", "F"), ("Kyle", "M", "Kyla", "F"),
                     ("Daniel", "M", "Daniela", "F")]  # fmt: skip
            a, sa, c, sc = m.r.choice(pairs) if m.r.random() < 0.4 else ("", sex, "", sex)
            rows.append(m.person(sa, last, b, home, first=a))
            rows.append(m.person(sc, last, b, home, first=c))
            # parents do not give a twin the other's name, first or middle
            if (
                rows[-1]["first_name"].upper()
                in (rows[-2]["first_name"].upper(), rows[-2]["middle_name"].upper())
                or rows[-2]["first_name"].upper() == rows[-1]["middle_name"].upper()
            ):
                rows[-1]["first_name"] = "Zoe" if rows[-1]["sex"] == "F" else "Zane"
        else:  # junior and senior: same full name and home, a generation apart
            b = m.birth(1930, 1970)
            first, middle = m.zipf(MALE), m.zipf(MALE)
            rows.append(m.person("M", last, b, home, first=first, middle=middle))
            jr = b + timedelta(days=m.r.randint(20 * 365, 40 * 365))
            rows.append(m.person("M", last, jr, home, first=first, middle=middle))
    return rows


if __name__ == "__main__":
    rows = build()
    with (HERE / "background.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows")
