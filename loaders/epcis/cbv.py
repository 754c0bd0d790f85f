"""Core Business Vocabulary values in any spelling reduced to one form, so rules match once.

EPCIS carries the same CBV value as a bare word (``shipping``), a URN
(``urn:epcglobal:cbv:bizstep:shipping``), a web URI (``https://ref.gs1.org/cbv/BizStep-shipping``)
or a CURIE (``cbv:BizStep-shipping``). Standard values become the bare word; values outside the
CBV namespaces (user vocabularies) are kept as given. A bare word that is not a CBV value, or a
CBV-namespace value with an unknown word, is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BIZ_STEPS = _words(
    "accepting arriving assembling collecting commissioning consigning creating_class_instance "
    "cycle_counting decommissioning departing destroying disassembling dispensing encoding "
    "entering_exiting holding inspecting installing killing loading other packing picking "
    "receiving removing repackaging repairing replacing reserving retail_selling shipping "
    "staging_outbound stock_taking stocking storing transporting unloading unpacking "
    "void_shipping sensor_reporting sampling"
)
DISPOSITIONS = _words(
    "active container_closed damaged destroyed dispensed disposed encoded expired in_progress "
    "in_transit inactive no_pedigree_match non_sellable_other partially_dispensed recalled "
    "reserved retail_sold returned sellable_accessible sellable_not_accessible stolen unknown "
    "available completeness_verified completeness_inferred conformant container_open "
    "mismatch_instance mismatch_class mismatch_quantity needs_replacement non_conformant "
    "unavailable"
)
BIZ_TRANSACTION_TYPES = _words(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
SOURCE_DEST_TYPES = frozenset({"owning_party", "possessing_party", "location"})
ERROR_REASONS = frozenset({"did_not_occur", "incorrect_data"})
_WEB_PREFIXES = (
    "https://ref.gs1.org/cbv/",
    "http://ref.gs1.org/cbv/",
    "https://gs1.org/voc/",
    "http://gs1.org/voc/",
    "https://ns.gs1.org/cbv/",
    "http://ns.gs1.org/cbv/",
    "https://ns.gs1.org/voc/",
    "cbv:",
    "gs1:",
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One CBV vocabulary: its field name, URN infix, web-URI prefix and standard words.

    ``spellings`` (every usual spelling of a standard word, to the word) and ``web_uris`` (word
    to web URI) are worked out once here: an event names a few CBV values, a document repeats
    them thousands of times, and a dict look-up is far cheaper than reading a spelling anew."""

    field: str
    urn: str
    web: str
    words: frozenset[str]
    spellings: dict[str, str] = dataclass_field(init=False, compare=False, hash=False, repr=False)
    web_uris: dict[str, str] = dataclass_field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        spellings: dict[str, str] = {}
        for word in self.words:
            spellings[word] = word
            spellings[f"urn:epcglobal:cbv:{self.urn}:{word}"] = word
            for prefix in _WEB_PREFIXES:
                spellings[f"{prefix}{self.web}-{word}"] = word
        object.__setattr__(self, "spellings", spellings)
        object.__setattr__(
            self,
            "web_uris",
            {word: f"https://ref.gs1.org/cbv/{self.web}-{word}" for word in self.words},
        )


BIZ_STEP = Vocabulary("bizStep", "bizstep", "BizStep", BIZ_STEPS)
DISPOSITION = Vocabulary("disposition", "disp", "Disp", DISPOSITIONS)
BIZ_TRANSACTION_TYPE = Vocabulary("type", "btt", "BTT", BIZ_TRANSACTION_TYPES)
SOURCE_DEST_TYPE = Vocabulary("type", "sdt", "SDT", SOURCE_DEST_TYPES)
ERROR_REASON = Vocabulary("reason", "er", "ER", ERROR_REASONS)

_BARE_WORD = re.compile(r"^[A-Za-z0-9_]+$")


class VocabularyError(ValueError):
    """A value that claims to be CBV but is not one of its words."""


def normalise(value: str, vocabulary: Vocabulary) -> str:
    """The bare CBV word for a standard value in any spelling; other URIs unchanged.

    Raises VocabularyError for a bare word outside the CBV or a CBV URN/URI with an unknown word.
    """
    word = vocabulary.spellings.get(value)
    if word is not None:
        return word
    text = value.strip()
    word = _cbv_word(text, vocabulary)
    if word is None:
        if _BARE_WORD.match(text):
            raise VocabularyError(
                f"non-standard {vocabulary.field} {text!r}: a user value must be a URI"
            )
        return text
    if word not in vocabulary.words:
        raise VocabularyError(
            f"non-standard {vocabulary.field} {text!r}: {word!r} is not a CBV value"
        )
    return word


def _cbv_word(text: str, vocabulary: Vocabulary) -> str | None:
    """The word a CBV spelling names, or None when ``text`` is not in a CBV namespace."""
    if _BARE_WORD.match(text):
        return text if text in vocabulary.words else None
    urn_prefix = f"urn:epcglobal:cbv:{vocabulary.urn}:"
    if text.startswith(urn_prefix):
        return text[len(urn_prefix) :]
    for prefix in _WEB_PREFIXES:
        if text.startswith(prefix):
            rest = text[len(prefix) :]
            head, sep, word = rest.partition("-")
            if sep and head.lower() == vocabulary.web.lower():
                return word
    if text.startswith("urn:epcglobal:cbv:"):
        return text.rsplit(":", 1)[-1]
    return None


def web_uri(word_or_uri: str, vocabulary: Vocabulary) -> str:
    """The CBV 2.0 web URI of a normalised value (user URIs unchanged); used by the event hash."""
    return vocabulary.web_uris.get(word_or_uri, word_or_uri)
