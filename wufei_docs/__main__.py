from wufei_docs.cli import main

main()
