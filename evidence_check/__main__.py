from evidence_check.cli import main

main()
