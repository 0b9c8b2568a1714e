from commentwatch.cli import main

raise SystemExit(main())
