"""Rendering: template filters, charts (SVG), exports (CSV/XLSX) and PDF (WeasyPrint)."""
