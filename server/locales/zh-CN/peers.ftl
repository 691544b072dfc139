# Peer groups (issue 20): units are ranked among their peers.
peers-default-group = 县直单位
peers-sub-units = { $parent }下属单位
peers-group = 排名分组
peers-group-hint = 同组单位相互排名,如“县直部门”“乡镇”;留空则下属单位与同一上级的下属单位排名,其余与县直单位排名。
peers-group-label = 排名分组:{ $group }
peers-rank-in = 在“{ $group }”中
