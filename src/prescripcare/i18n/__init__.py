"""What patients read, in their language: gettext catalogs managed with
Babel (`locale/`, `scripts/catalogs`), and dates, times and numbers in the
reader's locale. See docs/languages.md."""
