"""Wire formats of partners and health systems: CloudEvents in, FHIR R4B out."""
