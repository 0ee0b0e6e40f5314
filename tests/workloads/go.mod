module gopry.test/workloads

go 1.19
