"""Ingestion: read a package (ZIP, CSVs or XLSX) safely, validate it against the data dictionary,
and hand forward a ValidatedPackage (typed frames, warnings) or a report of every failure."""

from reporting.ingest.readers import PackageFile, read_package
from reporting.ingest.report import Failure, Report
from reporting.ingest.validate import Context, ValidatedPackage, validate

__all__ = ["Failure", "Report", "PackageFile", "read_package", "Context", "ValidatedPackage", "validate"]
