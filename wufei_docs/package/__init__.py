"""A package: the files of one build in memory, written to a folder with versions, 修改说明 and 定稿."""
