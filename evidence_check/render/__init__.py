"""Reports for people: a terminal text and a self-contained HTML page, both from the contract JSON."""
