"""The county stage (`wufei bundle`): assess every enterprise file, apply the county rules, render and switch the outputs."""
