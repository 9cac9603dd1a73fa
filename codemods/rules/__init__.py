"""The built-in codemods, one module each; the registry imports every module here."""
