#!/usr/bin/env Rscript
# Goldens for each segment's bootstrap stability (src/cluster/stability.ts): Hennig's clusterboot
# from the R package fpc (Debian's r-cran-fpc) with k-means, on generated data sets written beside
# the goldens. Two shapes: four well-separated groups, and four groups of which two overlap (the
# overlapping pair is less stable), and a uniform cloud cut into four (no groups at all). Writes test/fixtures/clusterboot/<name>.csv and golden.json.
# Run once with Debian's r-base-core and r-cran-fpc:  Rscript scripts/gen-clusterboot-golden.R
# R is never needed to run the tests.
suppressPackageStartupMessages(library(fpc))
out <- if (length(commandArgs(trailingOnly = TRUE))) commandArgs(trailingOnly = TRUE)[1] else "test/fixtures/clusterboot"
set.seed(20261207)
blob <- function(n, cx, cy, s) cbind(rnorm(n, cx, s), rnorm(n, cy, s))
shapes <- list(
  separated = rbind(blob(150, 0, 0, 0.5), blob(120, 5, 0, 0.5), blob(100, 0, 5, 0.5), blob(80, 5, 5, 0.5)),
  overlapping = rbind(blob(150, 0, 0, 0.8), blob(150, 0.9, 0, 0.8), blob(120, 6, 0, 0.6), blob(100, 3, 5, 0.6)),
  uniform = cbind(runif(400, 0, 10), runif(400, 0, 3))
)
golden <- list()
for (name in names(shapes)) {
  x <- round(shapes[[name]], 6)
  colnames(x) <- c("x1", "x2")
  write.csv(x, file.path(out, paste0(name, ".csv")), row.names = FALSE)
  cb <- clusterboot(x, B = 100, bootmethod = "boot", clustermethod = kmeansCBI, krange = 4, runs = 10,
                    seed = 7, count = FALSE)
  golden[[name]] <- list(k = 4, B = 100, partition = as.integer(cb$partition), bootmean = unname(cb$bootmean))
}
writeLines(jsonlite::toJSON(golden, auto_unbox = TRUE, digits = NA), file.path(out, "golden.json"))
