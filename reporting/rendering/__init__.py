"""Rendering: template filters, charts (SVG), member lists (gaplists), exports (CSV/XLSX), HTML and PDF (WeasyPrint)."""
