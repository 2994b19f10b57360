"""Preference data: the pair checks that matter for DPO (``finders``), several answers per
prompt gathered for comparison (``groups``), compare decisions kept as label commands
(``decisions``) and DPO pairs written out for TRL (``export``). Qt-free."""
