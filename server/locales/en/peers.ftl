# Peer groups (issue 20): units are ranked among their peers.
peers-default-group = County units
peers-sub-units = Units under { $parent }
peers-group = Peer group
peers-group-hint = Units of one group are ranked against each other, e.g. “County departments”, “Towns”. Leave it empty to rank a sub-unit among the other units under its parent, and any other unit among the county units.
peers-group-label = Peer group: { $group }
peers-rank-in = in “{ $group }”
