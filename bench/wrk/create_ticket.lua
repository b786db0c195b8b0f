-- wrk script: POST /api/v1/tickets with the same ticket texts the peer benchmark uses
-- (../shared/peers/lib/ticketdata.py: 10 shop topics, requesters customer0..996@shopper.example).
-- Usage: TOKEN=... wrk -t2 -c8 -d20s -s bench/wrk/create_ticket.lua http://127.0.0.1:PORT
local topics = {
  {"Where is my parcel? Order #%d", "Hello, I ordered on Monday and the tracking page for order #%d has not changed for four days. Could you check with the carrier where the parcel is?"},
  {"Wrong size delivered for order #%d", "The shoes in order #%d are size 42 but I ordered 43. How do I exchange them? I would prefer an exchange over a refund if the size is in stock."},
  {"Refund not received for order #%d", "I returned order #%d two weeks ago and the refund has still not arrived on my card. The return label said it was delivered to your warehouse."},
  {"Discount code not accepted", "At checkout the code SPRING%d says it is invalid, although the newsletter says it is valid until the end of the month. Can you apply it to my basket?"},
  {"Damaged item in order #%d", "The glass vase from order #%d arrived broken. I attached nothing yet but can send photos. Please send a replacement or tell me how to return it."},
  {"Change delivery address for order #%d", "I moved last week. Can you still change the delivery address of order #%d to Hauptstrasse 12, 10115 Berlin? It has not shipped yet."},
  {"Invoice needed for order #%d", "For my company accounts I need a VAT invoice for order #%d. The invoice in the confirmation email is missing our VAT number."},
  {"Cancel order #%d", "Please cancel order #%d; I ordered the same item twice by mistake. If it was already charged, please issue a refund to the original payment method."},
  {"Payment failed but money taken", "My card was charged for order #%d but the shop says the payment failed. Please check whether the order exists or refund the charge."},
  {"Question about warranty", "The coffee grinder from order #%d stopped working after eight months. Is it still under warranty and where do I send it for repair?"},
}

local counter = 0
local thread_no = 0

function setup(thread)
  thread:set("thread_no", thread_no)
  thread_no = thread_no + 1
end

local function escape(s)
  return (s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n'))
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

function request()
  local i = thread_no * 10000000 + counter
  counter = counter + 1
  local t = topics[(i % #topics) + 1]
  local order = 100000 + i
  local subject = string.format(t[1], order)
  local body = string.format(t[2], order) .. string.format("\n\nRegards,\nCustomer %d\n", i % 997)
  local json = string.format('{"subject":"%s","body":"%s","customer":{"email":"customer%d@shopper.example"}}',
    escape(subject), escape(body), i % 997)
  return wrk.format(nil, "/api/v1/tickets", nil, json)
end


function done(summary, latency, requests)
  io.write(string.format("requests=%d non_2xx_3xx=%d socket_errors=%d secs=%.2f requests_per_sec=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
