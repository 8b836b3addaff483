"""Fake Spanish and English identities for demo patients: names, DNI with a valid letter, phones, addresses.
"""


from __future__ import annotations

import random

from ml.synthetic.patients import Identity


def split_names(text: str) -> tuple[str, ...]:
    """Split a space-separated word list."""
    return tuple(text.split())


SPANISH_MALE = split_names(
    "Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael Pablo Sergio "
    "Fernando Jorge Luis Alberto Álvaro Diego Adrián Raúl Iván Rubén Óscar Andrés Joaquín Íñigo Ramón"
)
SPANISH_FEMALE = split_names(
    "María Carmen Ana Isabel Laura Cristina Marta Lucía Elena Pilar Paula Sara Raquel Beatriz Nuria Silvia "
    "Julia Irene Patricia Inés Sofía Mercedes Alicia Ángela Begoña Montserrat Rocío Noelia Concepción Amparo"
)
SPANISH_SURNAMES = split_names(
    "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz "
    "Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano "
    "Molina Morales Suárez Ortega Delgado Castro Ortiz Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo "
    "Santos Lozano Guerrero Cano Prieto Méndez Gallego Vidal Márquez Herrera Cabrera Fuentes Carrasco Caballero "
    "Nieto Aguilar Pascual Santana Herrero Lorenzo Montero Hidalgo Giménez Ibáñez Ferrer Durán Benítez Vicente "
    "Vargas Arias Carmona Crespo Román Pastor Soto Sáez Velasco Soler Parra Esteban Gallardo Rojas"
)
ENGLISH_MALE = split_names(
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew Anthony Mark Steven "
    "Paul Andrew Joshua Kevin Brian George Edward Ryan Jacob Gary"
)
ENGLISH_FEMALE = split_names(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Margaret Sandra Ashley "
    "Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura"
)
ENGLISH_SURNAMES = split_names(
    "Smith Johnson Williams Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson Martin Thompson Harris "
    "Clark Lewis Robinson Walker Allen Wright Scott Adams Baker Nelson Carter Mitchell Roberts Turner Phillips "
    "Campbell Parker Evans Edwards Collins Stewart Morris Murphy Rogers Morgan Cooper Peterson Bailey Reed Kelly "
    "Howard Richardson Watson Brooks Bennett Hughes Sanders Myers Ross Foster Jenkins Perry Powell Sullivan"
)
SPANISH_STREETS = (
    "Calle Mayor", "Calle de Alcalá", "Avenida de la Constitución", "Plaza de España", "Paseo de Gracia",
    "Calle Real", "Avenida de Andalucía", "Gran Vía", "Calle San Juan", "Ronda de Toledo", "Calle del Carmen",
    "Camino Viejo", "Calle de la Paz", "Avenida de América", "Calle Goya", "Paseo del Prado",
)  # fmt: skip
SPANISH_CITIES = (
    ("Madrid", "28"), ("Barcelona", "08"), ("Valencia", "46"), ("Sevilla", "41"), ("Zaragoza", "50"),
    ("Málaga", "29"), ("Murcia", "30"), ("Bilbao", "48"), ("Alicante", "03"), ("Córdoba", "14"),
    ("Valladolid", "47"), ("Vigo", "36"), ("Granada", "18"), ("Oviedo", "33"), ("Pamplona", "31"),
    ("Santander", "39"), ("Toledo", "45"),
)  # fmt: skip
ENGLISH_STREETS = (
    "Oak Street",
    "Maple Avenue",
    "Cedar Lane",
    "Pine Road",
    "Elm Drive",
    "Washington Boulevard",
    "Lakeview Court",
    "Hillcrest Avenue",
    "Sunset Boulevard",
    "Park Place",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni(rng: random.Random) -> str:
    """Return a Spanish DNI (8 digits) or, one time in ten, an NIE (X/Y/Z + 7 digits), with its check letter."""
    if rng.random() < 0.1:
        prefix, digits = rng.choice("XYZ"), rng.randrange(10_000_000)
        number = int(str("XYZ".index(prefix)) + f"{digits:07d}")
        return f"{prefix}{digits:07d}{DNI_LETTERS[number % 23]}"
    number = rng.randrange(10_000_000, 100_000_000)
    return f"{number:08d}{DNI_LETTERS[number % 23]}"


def _ascii(text: str) -> str:
    """Return a lower-case ASCII form of a name for an e-mail address."""
    table = str.maketrans("áéíóúüñàèç", "aeiouunaec")
    return text.lower().translate(table).replace(" ", "")


def spanish_phone(rng: random.Random) -> str:
    """Return a Spanish mobile or landline number in one of the usual spellings."""
    if rng.random() < 0.7:
        digits = f"6{rng.randrange(10**8):08d}"
    else:
        digits = f"9{rng.choice('1345')}{rng.randrange(10**7):07d}"
    style = rng.randrange(4)
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 2:
        return f"+34 {digits[:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}"
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def _english_phone(rng: random.Random) -> str:
    """Return a North American number in a common spelling."""
    area, line = rng.randrange(201, 990), rng.randrange(10_000)
    return rng.choice((f"({area}) 555-{line:04d}", f"{area}-555-{line:04d}", f"+1 {area} 555 {line:04d}"))


def make_identity(rng: random.Random, sex: str, language: str) -> Identity:
    """Invent a name, national id, phone, e-mail, address and postcode in the patient's language."""
    if language == "es":
        first = rng.choice(SPANISH_MALE if sex == "male" else SPANISH_FEMALE)
        last = f"{rng.choice(SPANISH_SURNAMES)} {rng.choice(SPANISH_SURNAMES)}"
        city, province = rng.choice(SPANISH_CITIES)
        postcode = f"{province}{rng.randrange(1, 80):03d}"
        floor = rng.choice(("", f", {rng.randint(1, 9)}º {rng.choice('ABCD')}", f", {rng.randint(1, 6)}º izda."))
        street = rng.choice(SPANISH_STREETS)
        address = f"{street} {rng.randint(1, 200)}{floor}, {city}"
        phone = spanish_phone(rng)
        doctor = rng.choice(SPANISH_SURNAMES)
    else:
        first = rng.choice(ENGLISH_MALE if sex == "male" else ENGLISH_FEMALE)
        last = rng.choice(ENGLISH_SURNAMES)
        postcode = f"{rng.randrange(10, 1000):03d}{rng.randrange(100):02d}"
        address = f"{rng.randint(1, 9999)} {rng.choice(ENGLISH_STREETS)}"
        phone = _english_phone(rng)
        doctor = rng.choice(ENGLISH_SURNAMES)
    email = f"{_ascii(first)}.{_ascii(last.split()[0])}{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}"
    return Identity(first, last, dni(rng), phone, email, address, postcode, doctor)


def hospital_id(number: int, rng: random.Random) -> str:
    """Write a patient number as the hospital does: ``123-456`` (sometimes ``123 456``)."""
    text = f"{number:06d}"
    return f"{text[:3]}{'-' if rng.random() < 0.85 else ' '}{text[3:]}"


