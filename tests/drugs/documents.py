"""The contract's drug documents, verbatim."""

DRUG_SEARCH = """
query DrugSearch($q: String!, $first: Int) {
  drugs(search: $q, first: $first) { rxcui name tty }
}"""

DRUG = """
query Drug($rxcui: String!) {
  drug(rxcui: $rxcui) { rxcui name tty ingredients { rxcui name } }
}"""

INTERACTION_CHECK = """
query InteractionCheck($rxcuis: [String!]!) {
  interactions(rxcuis: $rxcuis) {
    severity
    description
    drugs { rxcui name }
  }
}"""
