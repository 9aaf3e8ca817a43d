"""GraphQL types of the drug catalog and interactions."""

from __future__ import annotations

import strawberry

from prescripcare.drugs.interactions import Finding
from prescripcare.drugs.models import DrugConcept, Severity
from prescripcare.graphql.info import Info

SeverityEnum = strawberry.enum(Severity, name="InteractionSeverity")


@strawberry.type(name="Drug", description="An RxNorm concept: ingredient, brand or product.")
class DrugType:
    rxcui: str
    name: str
    tty: str = strawberry.field(
        description="RxNorm term type: IN, PIN, MIN, BN, SCD, SBD, GPCK or BPCK."
    )
    strength: str | None
    source: str = strawberry.field(description="Where this concept comes from.")
    _model: strawberry.Private[DrugConcept]

    @classmethod
    def from_model(cls, concept: DrugConcept) -> DrugType:
        return cls(
            rxcui=concept.rxcui,
            name=concept.name,
            tty=concept.tty,
            strength=concept.strength,
            source=concept.source,
            _model=concept,
        )

    @strawberry.field(description="The ingredient concepts it contains; an ingredient is its own.")
    async def ingredients(self, info: Info) -> list[DrugType]:
        found = await info.context.loaders.drugs.ingredients.load(self.rxcui)
        return [DrugType.from_model(c) for c in found]

    @strawberry.field(description="WHO ATC codes of this ingredient (empty for other concepts).")
    async def atc_codes(self, info: Info) -> list[str]:
        codes: list[str] = await info.context.loaders.drugs.atc_codes.load(self.rxcui)
        return codes


@strawberry.type
class Interaction:
    severity: SeverityEnum  # type: ignore[valid-type]
    description: str
    source: str
    clinically_reviewed: bool = strawberry.field(
        description="False for content shipped as demo data that no clinician has reviewed."
    )
    drugs: list[DrugType] = strawberry.field(description="The two interacting ingredients.")

    @classmethod
    def from_finding(cls, finding: Finding) -> Interaction:
        return cls(
            severity=finding.severity,
            description=finding.description,
            source=finding.source,
            clinically_reviewed=finding.clinically_reviewed,
            drugs=[DrugType.from_model(d) for d in finding.drugs],
        )
