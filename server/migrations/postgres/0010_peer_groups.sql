-- Peer groups (issue 20): units are ranked among their peers. `units.peer_group` names the
-- group a unit is ranked in (e.g. 县直部门, 乡镇); empty means the default — the sub-units of
-- the same parent, or, for the root's direct children, one default group.
ALTER TABLE units ADD COLUMN peer_group TEXT NOT NULL DEFAULT '';
