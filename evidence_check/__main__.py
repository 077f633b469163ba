from evidence_check.console import main

main()
