"""Drug knowledge tables. Every row carries its provenance (source, version,
licence, imported_at), so shipped and licensed content can be told apart and
purged."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import one_of, utc_column


class Severity(StrEnum):
    CONTRAINDICATED = "CONTRAINDICATED"
    MAJOR = "MAJOR"
    MODERATE = "MODERATE"
    MINOR = "MINOR"

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return _RANK[self]


_RANK = {Severity.CONTRAINDICATED: 4, Severity.MAJOR: 3, Severity.MODERATE: 2, Severity.MINOR: 1}

# Other sources' severity levels and ours (docs/drugs.md); a level not here
# counts as MAJOR, never as nothing.
SEVERITY_MAP: dict[str, Severity] = {
    "contraindicated": Severity.CONTRAINDICATED,
    "major": Severity.MAJOR,
    "severe": Severity.MAJOR,
    "serious": Severity.MAJOR,
    "high": Severity.MAJOR,
    "danger": Severity.MAJOR,
    "moderate": Severity.MODERATE,
    "medium": Severity.MODERATE,
    "warning": Severity.MODERATE,
    "minor": Severity.MINOR,
    "low": Severity.MINOR,
    "caution": Severity.MINOR,
}


def severity_from(level: str) -> Severity:
    return SEVERITY_MAP.get(level.strip().lower(), Severity.MAJOR)


# Term types kept as catalog concepts; the rest (SCDC, DF...) only link them.
CONCEPT_TTYS = ("IN", "PIN", "MIN", "BN", "SCD", "SBD", "GPCK", "BPCK")
INGREDIENT_TTY = "IN"


def _text(length: int | None = None, *, nullable: bool = False) -> Column[str]:
    return Column(String(length) if length else Text, nullable=nullable)


class Provenance(SQLModel):
    # sa_type, not sa_column: a mixin's Column object cannot be shared by tables.
    source: str = Field(sa_type=String(200), nullable=False)
    source_version: str = Field(sa_type=String(100), nullable=False)
    licence: str = Field(sa_type=String(200), nullable=False)
    imported_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


class DrugConcept(Provenance, table=True):
    __tablename__ = "drug_concepts"
    __table_args__ = (CheckConstraint(one_of("tty", CONCEPT_TTYS), name="tty_known"),)

    rxcui: str = Field(sa_column=Column(String(16), primary_key=True))
    tty: str = Field(sa_column=_text(8))
    name: str = Field(sa_column=_text(3000))
    strength: str | None = Field(default=None, sa_column=_text(300, nullable=True))


class DrugIngredient(Provenance, table=True):
    """A product, brand, salt or combination and the ingredient(s) it contains."""

    __tablename__ = "drug_ingredients"

    rxcui: str = Field(
        sa_column=Column(
            String(16), ForeignKey("drug_concepts.rxcui", ondelete="CASCADE"), primary_key=True
        )
    )
    ingredient_rxcui: str = Field(
        sa_column=Column(
            String(16),
            ForeignKey("drug_concepts.rxcui", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )


# A WHO ATC code at any level (C, C09, C09A, C09AA, C09AA05): the table's
# check and the importers' row validation are the same rule.
ATC_PATTERN = r"^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$"
ATC_CODE = re.compile(ATC_PATTERN)


class DrugAtcCode(Provenance, table=True):
    """An ingredient's WHO ATC class; level 2 (e.g. C09) is the therapeutic
    class used by adherence, and prefixes define interaction classes."""

    __tablename__ = "drug_atc_codes"
    __table_args__ = (CheckConstraint(f"atc_code ~ '{ATC_PATTERN}'", name="atc_format"),)

    rxcui: str = Field(
        sa_column=Column(
            String(16), ForeignKey("drug_concepts.rxcui", ondelete="CASCADE"), primary_key=True
        )
    )
    atc_code: str = Field(sa_column=Column(String(7), primary_key=True, index=True))


class DrugSearchTerm(Provenance, table=True):
    """A name a user may type for a concept: its own names, and each brand
    name as an alias of the brand's ingredients."""

    __tablename__ = "drug_search_terms"
    __table_args__ = (
        Index(
            "ix_drug_search_terms_term_trgm",
            "term",
            postgresql_using="gin",
            postgresql_ops={"term": "gin_trgm_ops"},
        ),
    )

    rxcui: str = Field(
        sa_column=Column(
            String(16), ForeignKey("drug_concepts.rxcui", ondelete="CASCADE"), primary_key=True
        )
    )
    # Lower-cased; the search compares lower-cased input.
    term: str = Field(sa_column=Column(String(3000), primary_key=True))
    kind: str = Field(sa_column=_text(16))


class DrugClass(Provenance, table=True):
    """A set of ingredients: explicit members, plus every ingredient whose ATC
    code starts with `atc_prefix` when one is given."""

    __tablename__ = "drug_classes"

    id: str = Field(sa_column=Column(String(100), primary_key=True))
    name: str = Field(sa_column=_text(300))
    atc_prefix: str | None = Field(default=None, sa_column=_text(7, nullable=True))


class DrugClassMember(Provenance, table=True):
    __tablename__ = "drug_class_members"

    class_id: str = Field(
        sa_column=Column(
            String(100), ForeignKey("drug_classes.id", ondelete="CASCADE"), primary_key=True
        )
    )
    rxcui: str = Field(
        sa_column=Column(
            String(16),
            ForeignKey("drug_concepts.rxcui", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )


class DrugInteraction(Provenance, table=True):
    """A rule between two ends, each an ingredient (`rxcui`) or a class
    (`class_id`). Ends are stored in a canonical order so a pair is unique
    per source."""

    __tablename__ = "drug_interactions"
    __table_args__ = (
        CheckConstraint(one_of("severity", Severity), name="severity_known"),
        CheckConstraint(
            "a_kind IN ('ingredient', 'class') AND b_kind IN ('ingredient', 'class')",
            name="end_kinds",
        ),
        Index(
            "uq_drug_interactions_pair_source",
            "a_kind",
            "a_ref",
            "b_kind",
            "b_ref",
            "source",
            unique=True,
        ),
        Index("ix_drug_interactions_b", "b_kind", "b_ref"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    a_kind: str = Field(sa_column=_text(16))
    a_ref: str = Field(sa_column=_text(100))
    b_kind: str = Field(sa_column=_text(16))
    b_ref: str = Field(sa_column=_text(100))
    severity: str = Field(sa_column=_text(20))
    description: str = Field(sa_column=_text(2000))
    clinically_reviewed: bool = Field(sa_column=Column(Boolean, nullable=False))


class DrugNdc(Provenance, table=True):
    __tablename__ = "drug_ndcs"

    ndc: str = Field(sa_column=Column(String(11), primary_key=True))
    rxcui: str = Field(
        sa_column=Column(
            String(16),
            ForeignKey("drug_concepts.rxcui", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )


class DrugRelease(SQLModel, table=True):
    """An imported release of a source, so importing it again is a no-op."""

    __tablename__ = "drug_releases"

    source: str = Field(sa_column=Column(String(200), primary_key=True))
    version: str = Field(sa_column=Column(String(100), primary_key=True))
    imported_at: datetime = Field(sa_column=utc_column())
    concepts: int = Field(sa_column=Column(Integer, nullable=False))
