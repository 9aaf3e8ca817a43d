"""The drug catalog (RxNorm-keyed), search, and drug-drug interactions."""
