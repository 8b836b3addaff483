"""Site × quality patterns: "my neck hurts", "sore neck", "pain in my chest", "me duele la cabeza", "skin has
turned yellow", "urine is dark" — a body site and a word for what is wrong with it, near each other in one
clause, map to the term for that site (Neck pain, Chest pain, Headache, Jaundice, Dark urine).

Each site and quality is a group of English and Spanish words (keyed like the vocabulary, so inflections and
spellings match); :data:`RULES` names the HPO term of each pair that means something. A quality with no site
nearby falls back to what the word means alone ("itchy" → Pruritus, "pain" → Pain), if anything.
"""

from __future__ import annotations

from collections.abc import Mapping

SITES: dict[str, tuple[str, ...]] = {
    "head": ("head", "cabeza"),
    "chest": ("chest", "pecho", "torax"),
    "back": ("back", "espalda"),
    "lower_back": ("lower back", "low back", "lumbar", "lumbar region", "zona lumbar", "parte baja de espalda",
                   "region lumbar", "riñones"),
    "neck": ("neck", "cuello", "nuca"),
    "abdomen": ("belly", "tummy", "abdomen", "gut", "barriga", "tripa", "vientre", "panza", "abdominal"),
    "stomach": ("stomach", "estomago", "boca del estomago", "epigastrio"),
    "throat": ("throat", "garganta"),
    "ear": ("ear", "oido", "oreja"),
    "eye": ("eye", "ojo"),
    "joint": ("joint", "articulacion", "coyuntura"),
    "knee": ("knee", "rodilla"),
    "hip": ("hip", "cadera"),
    "shoulder": ("shoulder", "hombro"),
    "elbow": ("elbow", "codo"),
    "wrist": ("wrist", "muñeca"),
    "ankle": ("ankle", "tobillo"),
    "muscle": ("muscle", "musculo"),
    "body": ("body", "cuerpo", "everywhere", "all over"),
    "bone": ("bone", "hueso"),
    "leg": ("leg", "pierna"),
    "arm": ("arm", "brazo"),
    "foot": ("foot", "pie"),
    "hand": ("hand", "mano"),
    "flank": ("side", "flank", "kidney", "costado", "flanco"),
    "jaw": ("jaw", "mandibula", "quijada"),
    "breast": ("breast", "mama", "seno"),
    "pelvis": ("pelvis", "pelvic", "pelvica"),
    "groin": ("groin", "ingle"),
    "testicle": ("testicle", "testicl", "testiculo"),
    "tongue": ("tongue", "lengua"),
    "bladder": ("bladder", "vejiga"),
    "anus": ("anus", "rectum", "bottom", "ano", "recto"),
    "skin": ("skin", "piel"),
    "nose": ("nose", "nariz"),
    "urine": ("urine", "pee", "orina", "pis", "pipi"),
    "urinating": ("urinating", "urination", "peeing", "when i pee", "orinar", "al orinar", "micción"),
    "stool": ("stool", "poo", "poop", "feces", "heces", "caca", "deposicion", "deposiciones"),
    "face": ("face", "cara", "rostro"),
    "mouth": ("mouth", "boca"),
    "calf": ("calf", "calves", "pantorrilla", "gemelo"),
    "eyelid": ("eyelid", "parpado"),
    "cough_up": ("cough up", "coughing up", "coughed up", "tosiendo", "al toser", "esputo", "flema"),
    "vomit_up": ("vomit", "throwing up", "threw up", "vomito", "vomitos", "vomitando"),
}

QUALITIES: dict[str, tuple[str, ...]] = {
    "pain": ("pain", "ache", "hurt", "hurts", "hurting", "sore", "soreness", "painful", "aching", "throbbing",
             "dolor", "duele", "duelen", "dolia", "dolían", "doliendo", "dolorido", "adolorido", "dolorosa",
             "doloroso"),
    "yellow": ("yellow", "yellowish", "yellowing", "turned yellow", "amarillo", "amarillenta", "amarillento",
               "amarilla"),
    "dark": ("dark", "very dark", "oscuro", "oscura", "muy oscura", "color cola", "like cola", "brown", "black",
             "negro", "negra", "tarry"),
    "red": ("red", "bloodshot", "rojo", "roja", "enrojecido", "enrojecida", "irritado", "irritada"),
    "itchy": ("itchy", "itch", "itches", "itching", "pica", "pican", "picor", "comezon", "picazon"),
    "runny": ("runny", "dripping", "moquea", "gotea", "moqueo"),
    "blocked": ("blocked", "stuffy", "congested", "tapada", "congestionada", "taponada"),
    "swollen": ("swollen", "swelling", "swelled", "puffy", "edema", "oedema", "edemas", "hinchado", "hinchada",
                "hinchazon",
                "inflamado", "inflamada", "inflamacion"),
    "stiff": ("stiff", "stiffness", "rigido", "rigida", "rigidez", "tieso", "tiesa"),
    "weak": ("weak", "weakness", "debil", "debiles", "debilidad", "floja", "flojas", "flojo", "flojos"),
    "numb": ("numb", "numbness", "dormido", "dormida", "entumecido", "entumecida", "adormecido", "adormecida"),
    "burning": ("burning", "burns", "stinging", "stings", "arde", "ardor", "escozor", "quema"),
    "cramp": ("cramp", "cramps", "cramping", "calambre", "calambres", "retortijon", "retortijones"),
    "tight": ("tight", "tightness", "opresion", "oprimido", "apretado"),
    "watery": ("watery", "teary", "watering", "lloran", "lloroso", "llorosos", "lagrimeo", "lagrimean"),
    "ulcer": ("ulcer", "ulcers", "sores", "llaga", "llagas", "ulcera", "ulceras", "afta", "aftas"),
    "blood": ("blood", "bloody", "sangre", "sangra", "sangrado", "con sangre"),
}

PAIN = {
    "head": "HP:0002315", "chest": "HP:0100749", "back": "HP:0003418", "lower_back": "HP:0003419",
    "neck": "HP:0030833", "abdomen": "HP:0002027", "stomach": "HP:0410019", "throat": "HP:0033050",
    "ear": "HP:0030766", "eye": "HP:0200026", "joint": "HP:0002829", "knee": "HP:0030839", "hip": "HP:0030838",
    "shoulder": "HP:0030834", "elbow": "HP:0030835", "wrist": "HP:0030836", "ankle": "HP:0030840",
    "muscle": "HP:0003326", "body": "HP:0033047", "bone": "HP:0002653", "leg": "HP:0012514", "arm": "HP:0012513",
    "foot": "HP:0025238",
    "hand": "HP:0046505", "flank": "HP:0030157", "jaw": "HP:0040264", "breast": "HP:0034265",
    "pelvis": "HP:0034267", "groin": "HP:0031520", "testicle": "HP:0033839", "tongue": "HP:0030811",
    "bladder": "HP:0032171", "anus": "HP:0500005", "urinating": "HP:0100518",
}
RULES: dict[tuple[str, str], str] = {
    **{(site, "pain"): hpo_id for site, hpo_id in PAIN.items()},
    ("skin", "yellow"): "HP:0000952",  # Jaundice
    ("eye", "yellow"): "HP:0032106",  # Conjunctival icterus
    ("urine", "dark"): "HP:0040319",  # Dark urine
    ("eye", "red"): "HP:0025337",  # Red eye
    ("skin", "itchy"): "HP:0000989",  # Pruritus
    ("eye", "itchy"): "HP:0033841",  # Ocular pruritus
    ("nose", "runny"): "HP:0031417",  # Rhinorrhea
    ("nose", "blocked"): "HP:0001742",  # Nasal congestion
    ("joint", "swollen"): "HP:0001386",  # Joint swelling
    ("knee", "swollen"): "HP:0001386",
    ("ankle", "swollen"): "HP:0001785",  # Ankle swelling
    ("foot", "swollen"): "HP:0010741",  # Pedal edema
    ("leg", "swollen"): "HP:0010741",
    ("eye", "swollen"): "HP:0100539",  # Periorbital edema
    ("eyelid", "swollen"): "HP:0100539",
    ("face", "swollen"): "HP:0000282",  # Facial edema
    ("abdomen", "swollen"): "HP:0003270",  # Abdominal distention
    ("stomach", "swollen"): "HP:0003270",
    ("neck", "stiff"): "HP:0025258",  # Neck stiffness
    ("joint", "stiff"): "HP:0001387",  # Joint stiffness
    ("muscle", "weak"): "HP:0001324",  # Muscle weakness
    ("leg", "weak"): "HP:0001324",
    ("arm", "weak"): "HP:0001324",
    ("hand", "numb"): "HP:0033748",  # Hypoesthesia
    ("foot", "numb"): "HP:0033748",
    ("leg", "numb"): "HP:0033748",
    ("arm", "numb"): "HP:0033748",
    ("face", "numb"): "HP:0033748",
    ("urinating", "burning"): "HP:0100518",  # Dysuria
    ("urine", "burning"): "HP:0100518",
    ("urine", "blood"): "HP:0000790",  # Hematuria
    ("stool", "blood"): "HP:0002573",  # Hematochezia
    ("cough_up", "blood"): "HP:0002105",  # Hemoptysis
    ("vomit_up", "blood"): "HP:0002248",  # Hematemesis
    ("stool", "dark"): "HP:0002249",  # Melena
    ("abdomen", "cramp"): "HP:0032155",  # Abdominal cramps, not Muscle spasm
    ("stomach", "cramp"): "HP:0032155",
    ("muscle", "cramp"): "HP:0003394",  # Muscle spasm
    ("leg", "cramp"): "HP:0003394",
    ("calf", "cramp"): "HP:0003394",
    ("foot", "cramp"): "HP:0003394",
    ("hand", "cramp"): "HP:0003394",
    ("chest", "tight"): "HP:0031352",  # Chest tightness
    ("eye", "watery"): "HP:0009926",  # Epiphora
    ("mouth", "ulcer"): "HP:0000155",  # Oral ulcer
    ("tongue", "ulcer"): "HP:0000155",
    ("calf", "pain"): "HP:0031921",  # Gastrocnemius myalgia (calf muscle pain)
}
# What a quality means with no site near it ("ronchas que pican" is itching).
ALONE: dict[str, str] = {
    "itchy": "HP:0000989",  # Pruritus
    "numb": "HP:0033748",  # Hypoesthesia
}
# Units a quality and its nearest site may have between them, besides list glue and other sites.
MAX_GAP = 3


def pair(sites: Mapping[int, str], qualities: Mapping[int, str], *, barriers: frozenset[int], glue: frozenset[int],
         connectors: frozenset[int]) -> list[tuple[int, int, str]]:
    """Return ``(site unit, quality unit, hpo_id)``: each quality with its nearest fitting site, and the sites
    listed with that one ("my knees and elbows hurt", "pain in the chest and back").

    ``sites`` and ``qualities`` map unit positions to groups. A pair crosses no unit in ``barriers`` (a clause
    mark, a contrast, a term) and at most :data:`MAX_GAP` units outside ``glue``; a listed site is reached from
    the nearest one over ``connectors`` and other sites only.
    """
    pairs = []
    for quality_position, quality in qualities.items():
        nearest = _nearest_site(sites, quality_position, quality, barriers=barriers, glue=glue)
        if nearest is None:
            continue
        pairs.append((nearest, quality_position, RULES[(sites[nearest], quality)]))
        step = -1 if nearest < quality_position else 1
        position = nearest + step
        while position in connectors or position in sites:
            if position in sites and (sites[position], quality) in RULES:
                pairs.append((position, quality_position, RULES[(sites[position], quality)]))
            position += step
    return pairs


def _nearest_site(sites: Mapping[int, str], quality_position: int, quality: str, *, barriers: frozenset[int],
                  glue: frozenset[int]) -> int | None:
    """Return the position of the closest site that has a rule with ``quality``, within reach; None if none."""
    best: tuple[int, int] | None = None
    for site_position, site in sites.items():
        if (site, quality) not in RULES:
            continue
        low, high = sorted((site_position, quality_position))
        between = range(low + 1, high)
        if any(position in barriers for position in between):
            continue
        gap = sum(1 for position in between if position not in glue)
        if gap <= MAX_GAP and (best is None or (gap, high - low) < best[:2]):
            best = (gap, high - low, site_position)
    return None if best is None else best[2]
