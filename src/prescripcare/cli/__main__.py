"""`python -m prescripcare.cli`, the same as the `prescripcare` script."""

from prescripcare.cli.app import main

# Guarded: tests import every module of the package to prove it loads.
if __name__ == "__main__":
    main()
