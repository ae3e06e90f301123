"""Results in standard forms, read from published editions only: HL7 FHIR R4 ``Measure`` and
``MeasureReport`` resources (``fhir``) and the public open-data package (``opendata``)."""
