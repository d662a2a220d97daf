"""Single-value parsers: dates, NIK, phones, choices, emails."""

import datetime as dt

import pytest

from sikro_docs.intake.nik import InvalidNik, parse_nik
from sikro_docs.intake.values import (
    InvalidValue,
    parse_date,
    parse_date_or_lifetime,
    parse_decision,
    parse_email,
    parse_gender,
    parse_name,
    parse_phone,
    parse_yes_no,
)

D = dt.date


@pytest.mark.parametrize("value, expected", [
    (dt.datetime(1991, 3, 5, 0, 0), D(1991, 3, 5)),
    (D(1991, 3, 5), D(1991, 3, 5)),
    ("05-03-1991", D(1991, 3, 5)),
    ("5/3/1991", D(1991, 3, 5)),
    ("05.03.1991", D(1991, 3, 5)),
    ("1991-03-05", D(1991, 3, 5)),
    ("1991-03-05 00:00:00", D(1991, 3, 5)),
    ("5 Maret 1991", D(1991, 3, 5)),
    ("5 Mar 1991", D(1991, 3, 5)),
    ("05 Agustus 2026", D(2026, 8, 5)),
    ("17 Agt 1990", D(1990, 8, 17)),
    ("1 Des 2000", D(2000, 12, 1)),
    ("  12 mei 1999 ", D(1999, 5, 12)),
    (33302, D(1991, 3, 5)),  # a date cell that lost its date format
])
def test_dates_in_every_accepted_form(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value, message", [
    ("31-02-1990", '"31-02-1990" is not a real date'),
    ("29-02-2023", "is not a real date"),
    ("05-13-1991", "is not a real date"),
    ("Maret 5, 1991", "is not a date; write it as dd-mm-yyyy"),
    ("5 Maretz 1991", '"Maretz" is not a month name'),
    ("05-03-91", "is not a date"),
    ("besok", '"besok" is not a date'),
    (-3, "is not a date"),
])
def test_bad_dates_name_the_value(value, message):
    with pytest.raises(InvalidValue, match=message):
        parse_date(value)


@pytest.mark.parametrize("text", ["Seumur Hidup", "seumur hidup", "SEUMUR  HIDUP", " Seumur-Hidup "])
def test_str_valid_for_life_is_none(text):
    assert parse_date_or_lifetime(text) is None


def test_str_expiry_date_or_error():
    assert parse_date_or_lifetime("01-01-2030") == D(2030, 1, 1)
    with pytest.raises(InvalidValue, match='neither a date nor "Seumur Hidup"'):
        parse_date_or_lifetime("selamanya")


@pytest.mark.parametrize("value", [
    "1211014503910002", "1211.0145.0391.0002", "1211 0145 0391 0002", "1211-014503-910002",
    1211014503910002, 1211014503910002.0, "'1211014503910002",
])
def test_nik_forms_normalise_to_16_digits(value):
    info = parse_nik(value)
    assert info.nik == "1211014503910002"
    assert (info.day, info.month, info.yy, info.female) == (5, 3, 91, True)


def test_nik_of_a_man_and_other_regions_accepted():
    info = parse_nik("3471010507880001")  # born in Yogyakarta: any prefix is fine
    assert (info.day, info.female) == (5, False)


@pytest.mark.parametrize("value, message", [
    ("121101450391000", '"121101450391000" has 15 digits; a NIK has 16'),
    ("12110145039100023", "has 17 digits"),
    ("1211014503910000", "serial 0000"),
    ("1211017303910002", "encodes birth date 730391, which is not a real date"),
    ("1211013213910002", "not a real date"),
    ("12110145O3910002", "characters other than digits"),
    (1.21101450391e15, "stored as a number, which keeps only 15 digits; format the NIK column as text"),
    (1211014503910000, "stored as a number"),
    ("1.21101E+15", "stored as a number"),
])
def test_bad_niks(value, message):
    with pytest.raises(InvalidNik, match=message):
        parse_nik(value)


@pytest.mark.parametrize("value", ["0812-6543-2100", "+62 812 6543 2100", "6281265432100",
                                   "(0812) 6543 2100", "0812.6543.2100", 81265432100, 6281265432100])
def test_phone_numbers_become_e164(value):
    assert parse_phone(value) == "+6281265432100"


@pytest.mark.parametrize("value, message", [
    ("0812345", "has 7 digits; expected 10 to 13"),
    ("08123456789012345", "has 17 digits"),
    ("+1 212 555 0100", "not an Indonesian phone number"),
    ("0812-abc-999", "not an Indonesian phone number"),
])
def test_bad_phone_numbers(value, message):
    with pytest.raises(InvalidValue, match=message):
        parse_phone(value)


@pytest.mark.parametrize("value, expected", [
    ("L", "L"), ("p", "P"), ("Laki-laki", "L"), ("PEREMPUAN", "P"), (" l ", "L")])
def test_gender(value, expected):
    assert parse_gender(value) == expected


def test_gender_error_names_value():
    with pytest.raises(InvalidValue, match='"X" must be L or P'):
        parse_gender("X")


@pytest.mark.parametrize("value, expected", [
    ("Y", True), ("y", True), ("Ya", True), ("T", False), ("t", False), ("Tidak", False),
    (True, True), (False, False)])
def test_yes_no(value, expected):
    assert parse_yes_no(value) is expected


def test_yes_no_rejects_other_text():
    with pytest.raises(InvalidValue, match='"N" must be Y or T'):
        parse_yes_no("N")


@pytest.mark.parametrize("value, expected", [
    ("Disetujui", "Disetujui"), ("setuju", "Disetujui"), ("DITOLAK", "Ditolak"), ("Tolak", "Ditolak")])
def test_decision(value, expected):
    assert parse_decision(value) == expected


def test_email_lower_cased_and_checked():
    assert parse_email(" Rina.S@Gmail.COM ") == "rina.s@gmail.com"
    for bad in ["rina@", "rina gmail.com", "a@b", "a..b@c.com"]:
        with pytest.raises(InvalidValue, match="not a valid email address"):
            parse_email(bad)


def test_names_trimmed_and_collapsed():
    assert parse_name("  Rina \t Sitanggang,\n A.Md.RO ") == "Rina Sitanggang, A.Md.RO"
