#!/usr/bin/env Rscript
# A base-R port of the scoring of the R package rfm 0.3.0 (rfm_table_order, its bins(),
# bins_lower(), bins_upper() and rfm_segment with the package's default segment table), run on a
# hand-made orders file; writes the per-customer figures as JSON for test/pipeline/orders.test.ts.
# Run with Debian's r-base-core:  Rscript scripts/gen-rfm-golden.R
# Python and R are never needed to run the tests.
args <- commandArgs(trailingOnly = TRUE)
input <- if (length(args) >= 1) args[1] else "test/fixtures/rfm/orders.csv"
output <- if (length(args) >= 2) args[2] else "test/fixtures/rfm/golden.json"
analysis_date <- as.Date("2024-07-01")

orders <- read.csv(input, stringsAsFactors = FALSE)
orders$order_date <- as.Date(orders$order_date)

ids <- sort(unique(orders$customer_id))
last <- as.Date(sapply(ids, function(i) max(orders$order_date[orders$customer_id == i])), origin = "1970-01-01")
result <- data.frame(
  customer_id = ids,
  recency_days = as.numeric(analysis_date - last, units = "days"),
  # rfm counts rows: each row of an orders table is one transaction.
  transaction_count = sapply(ids, function(i) sum(orders$customer_id == i)),
  amount = sapply(ids, function(i) sum(orders$revenue[orders$customer_id == i])),
  stringsAsFactors = FALSE
)

# rfm 0.3.0 utils.R: the inner quantiles (type 7) plus one; scores by lower <= v < upper.
bins <- function(v, n) unname(quantile(v, probs = seq(0, 1, length.out = n + 1)))[c(-1, -(n + 1))] + 1
score <- function(v, n, reversed) {
  b <- bins(v, n)
  lower <- c(min(v), b)
  upper <- c(b, max(v) + 1)
  labels <- if (reversed) rev(seq_len(n)) else seq_len(n)
  s <- rep(NA_integer_, length(v))
  for (i in seq_len(n)) s[v >= lower[i] & v < upper[i]] <- labels[i]
  list(scores = s, edges = b)
}
r <- score(result$recency_days, 5, TRUE)
f <- score(result$transaction_count, 5, FALSE)
m <- score(result$amount, 5, FALSE)

# rfm_segment with the package's documented default table: the first matching row wins.
segments <- data.frame(
  name = c("Champions", "Potential Loyalist", "Loyal Customers", "Promising", "New Customers",
           "Can't Lose Them", "At Risk", "Need Attention", "About To Sleep", "Lost"),
  r_lo = c(5, 3, 2, 3, 4, 1, 1, 1, 2, 1), r_hi = c(5, 5, 4, 4, 5, 2, 2, 3, 3, 1),
  f_lo = c(5, 3, 2, 1, 1, 3, 2, 3, 1, 1), f_hi = c(5, 5, 4, 3, 3, 4, 5, 5, 3, 5),
  m_lo = c(5, 2, 2, 3, 1, 4, 4, 3, 1, 1), m_hi = c(5, 5, 4, 5, 5, 5, 5, 5, 4, 5),
  stringsAsFactors = FALSE
)
seg <- rep(NA_character_, nrow(result))
for (i in seq_len(nrow(segments))) {
  hit <- is.na(seg) &
    r$scores >= segments$r_lo[i] & r$scores <= segments$r_hi[i] &
    f$scores >= segments$f_lo[i] & f$scores <= segments$f_hi[i] &
    m$scores >= segments$m_lo[i] & m$scores <= segments$m_hi[i]
  seg[hit] <- segments$name[i]
}
seg[is.na(seg)] <- "Others"

num <- function(x) paste(format(x, digits = 15, trim = TRUE), collapse = ", ")
str <- function(x) paste0('"', x, '"', collapse = ", ")
json <- paste0(
  "{\n",
  '  "source": "base-R port of rfm 0.3.0 (scripts/gen-rfm-golden.R), ', R.version.string, '",\n',
  '  "analysisDate": "', format(analysis_date), '",\n',
  '  "customer_id": [', str(result$customer_id), "],\n",
  '  "recency_days": [', num(result$recency_days), "],\n",
  '  "transaction_count": [', num(result$transaction_count), "],\n",
  '  "amount": [', num(result$amount), "],\n",
  '  "recency_score": [', num(r$scores), "],\n",
  '  "frequency_score": [', num(f$scores), "],\n",
  '  "monetary_score": [', num(m$scores), "],\n",
  '  "edges": { "recency": [', num(r$edges), '], "frequency": [', num(f$edges), '], "monetary": [', num(m$edges), "] },\n",
  '  "segment": [', str(seg), "]\n",
  "}\n"
)
cat(json, file = output)
