"""Rules as data: for each measurement year, versioned rule sets of benchmarks, withhold measures, gap
closure and the withhold tier table (``store``), and the impact of a draft before it is adopted (``impact``),
computed from stored results only."""
