"""The demo plant's fixed reference data: suppliers, materials, products, equipment, regions."""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_PREFIX = "4012345"
"""The GS1 company prefix of the demo maker (a GS1 Germany example prefix, 7 digits)."""

START = "2024-01-08T06:00:00Z"
"""First production shift of the demo timeline."""


@dataclass(frozen=True, slots=True)
class SupplierInfo:
    id: str
    name: str
    country: str
    lot_prefix: str
    """How this supplier numbers its lots on certificates (kept as an alias of our raw lot)."""


@dataclass(frozen=True, slots=True)
class RawMaterial:
    code: str
    """Short code used in ids: RM-<code>-000001."""
    id: str
    name: str
    unit: str
    lot_size: tuple[int, int]
    """Received quantity per lot: uniform between these bounds, in ``unit``."""
    suppliers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    item_ref: str
    """Five-digit item reference inside the GTIN."""
    weight: int
    """How often the plant makes it, relative to the others."""


@dataclass(frozen=True, slots=True)
class EquipmentInfo:
    id: str
    name: str
    equipment_type: str
    line: str


SUPPLIERS: tuple[SupplierInfo, ...] = (
    SupplierInfo("SUP-VINYLTEC", "Vinyltec Compounds GmbH", "DE", "VT"),
    SupplierInfo("SUP-POLYCOMP", "Polycomp Iberica S.L.", "ES", "PCI"),
    SupplierInfo("SUP-PLASTIFLEX", "Plastiflex Additives B.V.", "NL", "PFX"),
    SupplierInfo("SUP-NORDPP", "Nordic Polypropylene AB", "SE", "NPP"),
    SupplierInfo("SUP-ACUMED", "Acumed Needle Works Ltd", "IE", "ACN"),
    SupplierInfo("SUP-CLAMPRO", "Clampro Components s.r.o.", "CZ", "CLP"),
    SupplierInfo("SUP-FILMPAK", "Filmpak Flexibles SA", "BE", "FPK"),
    SupplierInfo("SUP-MEDLID", "Medlid Packaging Inc.", "US", "MLD"),
    SupplierInfo("SUP-STERIGAS", "Sterigas Industrial Gases GmbH", "DE", "SG"),
)

RAW_MATERIALS: tuple[RawMaterial, ...] = (
    RawMaterial(
        "PVC",
        "MAT-PVC",
        "PVC compound, medical grade",
        "kg",
        (800, 1200),
        ("SUP-VINYLTEC", "SUP-POLYCOMP"),
    ),
    RawMaterial(
        "DEHT", "MAT-DEHT", "DEHP-free plasticiser (DEHT)", "kg", (400, 600), ("SUP-PLASTIFLEX",)
    ),
    RawMaterial(
        "PP", "MAT-PP", "Polypropylene resin for drip chambers", "kg", (400, 600), ("SUP-NORDPP",)
    ),
    RawMaterial(
        "NDL", "MAT-NEEDLE", "Spike and needle 21G", "pcs", (15000, 25000), ("SUP-ACUMED",)
    ),
    RawMaterial("CLP", "MAT-CLAMP", "Roller clamp", "pcs", (20000, 30000), ("SUP-CLAMPRO",)),
    RawMaterial("FILM", "MAT-FILM", "Packaging film PET/PE", "m2", (150, 250), ("SUP-FILMPAK",)),
    RawMaterial("LID", "MAT-LID", "Tyvek lid", "pcs", (12000, 18000), ("SUP-MEDLID",)),
    RawMaterial("ETO", "MAT-ETO", "Ethylene oxide sterilant", "kg", (150, 250), ("SUP-STERIGAS",)),
)

INTERMEDIATES: tuple[tuple[str, str, str], ...] = (
    ("MAT-TUBING", "Extruded PVC tubing", "m"),
    ("MAT-DRIP", "Drip chamber", "pcs"),
    ("MAT-SET-NS", "Infusion set, assembled, non-sterile", "pcs"),
    ("MAT-SET-PK", "Infusion set, packed, non-sterile", "pcs"),
)

PRODUCTS: tuple[Product, ...] = (
    Product("MAT-IS180", "Infusion set IS-180, sterile, single use", "00180", 5),
    Product("MAT-IS150Y", "Infusion set IS-150 with Y-site, sterile, single use", "00150", 3),
    Product("MAT-BUR100", "Paediatric burette set BUR-100, sterile, single use", "00100", 2),
)

EQUIPMENT: tuple[EquipmentInfo, ...] = (
    EquipmentInfo("EXT-01", "Tubing extruder 1", "extruder", "extrusion"),
    EquipmentInfo("EXT-02", "Tubing extruder 2", "extruder", "extrusion"),
    EquipmentInfo("MLD-01", "Injection moulding machine 1", "moulding machine", "moulding"),
    EquipmentInfo("MLD-02", "Injection moulding machine 2", "moulding machine", "moulding"),
    EquipmentInfo("MLD-03", "Injection moulding machine 3", "moulding machine", "moulding"),
    EquipmentInfo("ASM-01", "Assembly line 1", "assembly line", "assembly"),
    EquipmentInfo("ASM-02", "Assembly line 2", "assembly line", "assembly"),
    EquipmentInfo("PKG-01", "Blister packaging line 1", "packaging line", "packaging"),
    EquipmentInfo("STER-01", "EtO sterilizer 1", "EtO sterilizer", "sterilisation"),
    EquipmentInfo("STER-02", "EtO sterilizer 2", "EtO sterilizer", "sterilisation"),
)

REGIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DE-BY", ("Munich", "Nuremberg", "Augsburg", "Regensburg")),
    ("DE-NW", ("Cologne", "Dusseldorf", "Dortmund", "Essen")),
    ("FR-IDF", ("Paris", "Versailles", "Creteil", "Nanterre")),
    ("NL", ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven")),
    ("AT", ("Vienna", "Graz", "Linz", "Salzburg")),
    ("IT-LOM", ("Milan", "Bergamo", "Brescia", "Pavia")),
)

HOSPITAL_NAMES = (
    "St. Anna",
    "University",
    "General",
    "St. Joseph",
    "Sacred Heart",
    "City",
    "Children's",
    "Red Cross",
    "St. Elisabeth",
    "Mercy",
)
CLINIC_NAMES = ("Dialysis Centre", "Day Surgery Clinic", "Oncology Clinic", "Outpatient Centre")
DISTRIBUTOR_NAMES = ("MedSupply", "CareLogistics", "Hospital Direct", "PharmaLink", "Clinicor")
