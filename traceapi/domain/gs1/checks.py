"""Check digits, character sets and the per-component content checks of the AI table."""

from __future__ import annotations

import calendar
from collections.abc import Callable

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
CSET39 = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
DIGITS = "0123456789"

_CSET82_SET = frozenset(CSET82)
_CSET39_SET = frozenset(CSET39)
_BASE64URL_SET = frozenset(BASE64URL)
_ALPHA_PRIMES = (
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
    97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191,
    193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293,
    307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419,
    421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509,
)  # fmt: skip


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 numeric country codes and ISO 4217 numeric currency codes accepted by GS1 AIs
# (as listed by the GS1 syntax engine's linters).
ISO3166_NUMERIC = _codes(
    """
    004 008 010 012 016 020 024 028 031 032 036 040 044 048 050 051 052 056 060 064 068 070 072
    074 076 084 086 090 092 096 100 104 108 112 116 120 124 132 136 140 144 148 152 156 158 162
    166 170 174 175 178 180 184 188 191 192 196 203 204 208 212 214 218 222 226 231 232 233 234
    238 239 242 246 248 250 254 258 260 262 266 268 270 275 276 288 292 296 300 304 308 312 316
    320 324 328 332 334 336 340 344 348 352 356 360 364 368 372 376 380 384 388 392 398 400 404
    408 410 414 417 418 422 426 428 430 434 438 440 442 446 450 454 458 462 466 470 474 478 480
    484 492 496 498 499 500 504 508 512 516 520 524 528 531 533 534 535 540 548 554 558 562 566
    570 574 578 580 581 583 584 585 586 591 598 600 604 608 612 616 620 624 626 630 634 638 642
    643 646 652 654 659 660 662 663 666 670 674 678 682 686 688 690 694 702 703 704 705 706 710
    716 724 728 729 732 740 744 748 752 756 760 762 764 768 772 776 780 784 788 792 795 796 798
    800 804 807 818 826 831 832 833 834 840 850 854 858 860 862 876 882 887 894
    """
)
ISO4217_NUMERIC = _codes(
    """
    008 012 032 036 044 048 050 051 052 060 064 068 072 084 090 096 104 108 116 124 132 136 144
    152 156 170 174 188 191 192 203 208 214 222 230 232 238 242 262 270 292 320 324 328 332 340
    344 348 352 356 360 364 368 376 388 392 398 400 404 408 410 414 417 418 422 426 430 434 446
    454 458 462 480 484 496 498 504 512 516 524 532 533 548 554 558 566 578 586 590 598 600 604
    608 634 643 646 654 682 690 694 702 704 706 710 728 748 752 756 760 764 776 780 784 788 800
    807 818 826 834 840 858 860 882 886 901 925 927 928 929 930 931 932 933 934 936 938 940 941
    943 944 946 947 948 949 950 951 952 953 955 956 957 958 959 960 961 962 963 964 965 967 968
    969 970 971 972 973 975 976 977 978 979 980 981 984 985 986 990 994 997 999
    """
)
# A few alphabetic ISO 4217 codes, for showing amounts (3910-3919, 3930-3939) to a person.
ISO4217_ALPHA = {"036": "AUD", "124": "CAD", "156": "CNY", "208": "DKK", "392": "JPY",
                 "578": "NOK", "710": "ZAR", "752": "SEK", "756": "CHF", "826": "GBP",
                 "840": "USD", "978": "EUR"}  # fmt: skip


def gtin_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit of a numeric payload (every digit but the check digit).

    Weights 3, 1, 3, ... from the right; the digit sums come from the ASCII bytes, summed in C
    (every EPC a loader reads is checked here, so this is on the load path)."""
    if payload.isascii():
        backwards = payload[::-1].encode("ascii")
        odd, even = backwards[::2], backwards[1::2]
        total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
        return (10 - total % 10) % 10
    total = 0
    for offset, char in enumerate(reversed(payload)):
        total += (ord(char) - 48) * (3 if offset % 2 == 0 else 1)
    return (10 - total % 10) % 10


def verify_check_digit(number: str) -> bool:
    """True when ``number`` is all ASCII digits and ends with its GS1 mod-10 check digit."""
    return (
        len(number) >= 2
        and all(c in DIGITS for c in number)
        and gtin_check_digit(number[:-1]) == ord(number[-1]) - 48
    )


def with_check_digit(payload: str) -> str:
    """``payload`` followed by its mod-10 check digit."""
    return payload + str(gtin_check_digit(payload))


def alpha_check_pair(data: str) -> str:
    """The two check characters (GS1 alphanumeric keys such as GMN) for ``data``."""
    total = 0
    for index, char in enumerate(data):
        total += CSET82.index(char) * _ALPHA_PRIMES[len(data) - 1 - index]
    total %= 1021
    return CSET32[total >> 5] + CSET32[total & 31]


def bad_char(value: str, allowed: frozenset[str] | str) -> int | None:
    """Offset of the first character of ``value`` outside ``allowed``, or None."""
    for index, char in enumerate(value):
        if char not in allowed:
            return index
    return None


_CHARSETS: dict[str, frozenset[str]] = {
    "N": frozenset(DIGITS),
    "X": _CSET82_SET,
    "Y": _CSET39_SET,
    "Z": _BASE64URL_SET,
}


def charset_of(kind: str) -> frozenset[str]:
    """The characters a component of kind N, X, Y or Z may hold."""
    return _CHARSETS[kind]


class CheckFailure(Exception):
    """A content check that failed: why, and where inside the component."""

    def __init__(self, reason: str, position: int = 0, length: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position
        self.length = length


def _csum(value: str) -> None:
    if not verify_check_digit(value):
        expected = gtin_check_digit(value[:-1]) if value[:-1].isdigit() else "?"
        raise CheckFailure(
            f"incorrect check digit {value[-1:]!r} (expected {expected})", len(value) - 1, 1
        )


def _csumalpha(value: str) -> None:
    if len(value) < 2:
        raise CheckFailure("too short for a check character pair", 0, len(value))
    if len(value) - 2 > len(_ALPHA_PRIMES):
        raise CheckFailure("too long for a check character pair", 0, len(value))
    bad = bad_char(value[-2:], CSET32)
    if bad is not None:
        raise CheckFailure("check characters must be in set 32", len(value) - 2 + bad, 1)
    if alpha_check_pair(value[:-2]) != value[-2:]:
        raise CheckFailure("incorrect check character pair", len(value) - 2, 2)


def _gcp(value: str, start: int) -> None:
    head = value[start : start + 4]
    if len(head) < 4:
        raise CheckFailure("too short to hold a GS1 company prefix", 0, len(value))
    bad = bad_char(head, DIGITS)
    if bad is not None:
        raise CheckFailure("a GS1 company prefix must start with 4 digits", start + bad, 1)


def _date(value: str, *, century: bool, zero_day: bool) -> None:
    digits = 8 if century else 6
    if len(value) != digits or not value.isdigit():
        raise CheckFailure("not a date", 0, len(value))
    year = int(value[:4]) if century else 2000 + int(value[:2])
    month, day = int(value[-4:-2]), int(value[-2:])
    if not 1 <= month <= 12:
        raise CheckFailure(f"impossible month {value[-4:-2]}", digits - 4, 2)
    if day == 0 and zero_day:
        return
    # the century of a two-digit year is unknown here; 2000 is a leap year like 2100 is not,
    # so Feb 29 is checked against the decoded year by the date decoder instead.
    last = 29 if (month == 2 and not century) else calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise CheckFailure(f"impossible day {value[-2:]}", digits - 2, 2)


def _hhmi(value: str) -> None:
    if not (value.isdigit() and int(value[:2]) <= 23 and int(value[2:]) <= 59):
        raise CheckFailure(f"impossible time {value}", 0, len(value))


def _in_list(codes: frozenset[str], what: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in codes:
            raise CheckFailure(f"{value!r} is not {what}", 0, len(value))

    return check


def _nonzero(value: str) -> None:
    if value.strip("0") == "":
        raise CheckFailure("must not be zero", 0, len(value))


def _zero(value: str) -> None:
    if value != "0":
        raise CheckFailure("must be 0", 0, len(value))


def _yesno(value: str) -> None:
    if value not in ("0", "1"):
        raise CheckFailure("must be 0 or 1", 0, len(value))


def _winding(value: str) -> None:
    if value not in ("0", "1", "9"):
        raise CheckFailure("winding direction must be 0, 1 or 9", 0, len(value))


def _pieceoftotal(value: str) -> None:
    half = len(value) // 2
    piece, total = int(value[:half]), int(value[half:])
    if piece == 0 or total == 0 or piece > total:
        raise CheckFailure(f"piece {piece} of {total} is impossible", 0, len(value))


def _hyphen(value: str) -> None:
    if value != "-":
        raise CheckFailure("must be '-'", 0, len(value))


def _nozeroprefix(value: str) -> None:
    if len(value) > 1 and value[0] == "0":
        raise CheckFailure("must not start with 0", 0, 1)


def _hasnondigit(value: str) -> None:
    if value.isdigit():
        raise CheckFailure("must contain a non-digit", 0, len(value))


def _pcenc(value: str) -> None:
    index = value.find("%")
    while index != -1:
        pair = value[index + 1 : index + 3]
        if len(pair) < 2 or any(c not in "0123456789ABCDEFabcdef" for c in pair):
            raise CheckFailure("invalid percent-encoding", index, min(3, len(value) - index))
        index = value.find("%", index + 3)


def _range_check(low: int, high: int, what: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if not (value.isdigit() and low <= int(value) <= high):
            raise CheckFailure(f"{what} {value} out of range", 0, len(value))

    return check


def _iso3166alpha2(value: str) -> None:
    if not (len(value) == 2 and value.isascii() and value.isupper() and value.isalpha()):
        raise CheckFailure(f"{value!r} is not an ISO 3166 alpha-2 country code", 0, len(value))


def _posinseqslash(value: str) -> None:
    piece, slash, total = value.partition("/")
    if not (slash and piece.isdigit() and total.isdigit() and 0 < int(piece) <= int(total)):
        raise CheckFailure("must be <position>/<count>", 0, len(value))


def _iban(value: str) -> None:
    if len(value) < 5 or not value[:2].isalpha() or not value[2:4].isdigit():
        raise CheckFailure("not an IBAN", 0, len(value))
    moved = value[4:] + value[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    if int(number) % 97 != 1:
        raise CheckFailure("IBAN check digits do not match", 2, 2)


def _latitude(value: str) -> None:
    if int(value) > 1800000000:
        raise CheckFailure("latitude out of range", 0, len(value))


def _longitude(value: str) -> None:
    if int(value) > 3600000000:
        raise CheckFailure("longitude out of range", 0, len(value))


def _importeridx(value: str) -> None:
    if value not in "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz":
        raise CheckFailure("invalid importer index", 0, 1)


def _lenient(value: str) -> None:
    """Checks we do not implement in depth (coupon layouts, code lists we do not ship)."""


CONTENT_CHECKS: dict[str, Callable[[str], None]] = {
    "csum": _csum,
    "csumalpha": _csumalpha,
    "gcppos1": lambda value: _gcp(value, 0),
    "gcppos2": lambda value: _gcp(value, 1),
    "yymmdd": lambda value: _date(value, century=False, zero_day=False),
    "yymmd0": lambda value: _date(value, century=False, zero_day=True),
    "yyyymmdd": lambda value: _date(value, century=True, zero_day=False),
    "hhmi": _hhmi,
    "hh": _range_check(0, 23, "hour"),
    "mi": _range_check(0, 59, "minute"),
    "ss": _range_check(0, 59, "second"),
    "iso3166": _in_list(ISO3166_NUMERIC, "an ISO 3166 numeric country code"),
    "iso3166999": _in_list(ISO3166_NUMERIC | {"999"}, "an ISO 3166 numeric country code or 999"),
    "iso3166alpha2": _iso3166alpha2,
    "iso4217": _in_list(ISO4217_NUMERIC, "an ISO 4217 numeric currency code"),
    "iso5218": _in_list(frozenset({"0", "1", "2", "9"}), "an ISO 5218 sex code"),
    "nonzero": _nonzero,
    "zero": _zero,
    "yesno": _yesno,
    "winding": _winding,
    "pieceoftotal": _pieceoftotal,
    "hyphen": _hyphen,
    "nozeroprefix": _nozeroprefix,
    "hasnondigit": _hasnondigit,
    "pcenc": _pcenc,
    "mediatype": _range_check(1, 10, "media type"),
    "posinseqslash": _posinseqslash,
    "iban": _iban,
    "latitude": _latitude,
    "longitude": _longitude,
    "importeridx": _importeridx,
    "packagetype": _lenient,
    "couponcode": _lenient,
    "couponposoffer": _lenient,
}
