// The reconcile decision (runtime/sync/reconcile.h) checked against the table of
// docs/sync.md "Reconcile" and against properties that must hold whatever the
// implementation: a decision applied and decided again writes nothing (no
// ping-pong), a blank never wins under `blank ignore`, and change times of
// different precision never decide as if exact.
#include "runtime/sync/reconcile.h"

#include <gtest/gtest.h>

#include <vector>

namespace accord::sync {
namespace {

ir::ConflictPolicy Policy(ir::ConflictKind k, schema::System s = schema::System::kSalesforce) {
  ir::ConflictPolicy p;
  p.kind = k;
  p.side = s;
  return p;
}

// An identity rule both ways (`Title <-> jobtitle`) with `blank ignore`: a blank
// source value writes nothing.
FieldInput Identity(std::optional<std::pair<Text, Text>> base, Text sf, Text hs, ir::ConflictPolicy policy) {
  FieldInput in;
  in.has_base = base.has_value();
  if (base) in.base[0] = base->first, in.base[1] = base->second;
  in.cur[0] = sf;
  in.cur[1] = hs;
  in.flows[0] = in.flows[1] = true;
  for (int to = 0; to < 2; ++to) {
    const Text& src = in.cur[1 - to];
    in.toward[to].skip = IsBlank(src);
    in.toward[to].text = src;
  }
  in.policy = policy;
  return in;
}

const ir::ConflictPolicy kTwoWay = Policy(ir::ConflictKind::kTwoWay);

TEST(Reconcile, TheTableOfDocsSync) {
  // neither changed: nothing
  FieldDecision d = DecideField(Identity({{"a", "a"}}, "a", "a", kTwoWay));
  EXPECT_EQ(d.write_to, -1);
  EXPECT_FALSE(d.base_moves);
  // Salesforce changed: written to HubSpot, shadows move with the write
  d = DecideField(Identity({{"a", "a"}}, "b", "a", kTwoWay));
  EXPECT_EQ(d.write_to, 1);
  EXPECT_EQ(d.value, Text("b"));
  EXPECT_EQ(d.base[0], Text("b"));
  EXPECT_EQ(d.base[1], Text("b"));
  // HubSpot changed: written to Salesforce
  d = DecideField(Identity({{"a", "a"}}, "a", "c", kTwoWay));
  EXPECT_EQ(d.write_to, 0);
  EXPECT_EQ(d.value, Text("c"));
  // both changed to the same value: nothing written, both shadows move
  d = DecideField(Identity({{"a", "a"}}, "d", "d", kTwoWay));
  EXPECT_EQ(d.write_to, -1);
  EXPECT_FALSE(d.conflict);
  EXPECT_TRUE(d.base_moves);
  EXPECT_EQ(d.base[0], Text("d"));
  // both changed and disagree: the policy decides
  d = DecideField(Identity({{"a", "a"}}, "b", "c", Policy(ir::ConflictKind::kPrefer, schema::System::kHubSpot)));
  EXPECT_TRUE(d.conflict);
  EXPECT_EQ(d.winner, 1);
  EXPECT_EQ(d.write_to, 0);
  EXPECT_EQ(d.value, Text("c"));
  // a new link treats each non-blank side as changed: a blank never wins
  d = DecideField(Identity(std::nullopt, std::nullopt, "c", kTwoWay));
  EXPECT_EQ(d.write_to, 0);
  EXPECT_EQ(d.value, Text("c"));
}

TEST(Reconcile, PreferUnlessBlankAndDontSync) {
  auto unless = Policy(ir::ConflictKind::kPreferUnlessBlank, schema::System::kSalesforce);
  FieldDecision d = DecideField(Identity({{"a", "a"}}, "", "c", unless));
  EXPECT_EQ(d.winner, 1) << "Salesforce's new value is blank: HubSpot wins";
  d = DecideField(Identity({{"a", "a"}}, "b", "c", unless));
  EXPECT_EQ(d.winner, 0);
  EXPECT_EQ(d.write_to, 1);
  auto dont = Policy(ir::ConflictKind::kDontSync);
  for (const char* sf : {"a", "b"})
    for (const char* hs : {"a", "c"}) {
      d = DecideField(Identity({{"a", "a"}}, sf, hs, dont));
      EXPECT_EQ(d.write_to, -1) << sf << " " << hs << ": no data passes once both records exist";
      EXPECT_FALSE(d.conflict);
    }
}

FieldInput TwoWayAt(const std::string& sf_at, int sf_prec, const std::string& hs_at, int hs_prec) {
  FieldInput in = Identity({{"a", "a"}}, "b", "c", kTwoWay);
  in.changed_at = [=](int s) { return s == 0 ? ChangeTime{sf_at, sf_prec, false} : ChangeTime{hs_at, hs_prec, true}; };
  return in;
}

TEST(Reconcile, TimesOfDifferentPrecisionNeverDecideAsIfExact) {
  // Salesforce's SystemModstamp has whole seconds: 10:00:00 means 10:00:00.000-.999
  FieldDecision d = DecideField(TwoWayAt("2026-01-01T10:00:00.000Z", 1000, "2026-01-01T10:00:00.700Z", 1));
  EXPECT_EQ(d.winner, 0) << "a tie within the second goes to Salesforce, not to the finer clock";
  EXPECT_NE(d.why.find("tie"), std::string::npos) << d.why;
  d = DecideField(TwoWayAt("2026-01-01T10:00:00.000Z", 1000, "2026-01-01T10:00:01.300Z", 1));
  EXPECT_EQ(d.winner, 1) << "a later second is later";
  EXPECT_NE(d.why.find("field's change time"), std::string::npos) << d.why;
  d = DecideField(TwoWayAt("2026-01-01T10:00:02.000Z", 1000, "2026-01-01T10:00:01.300Z", 1));
  EXPECT_EQ(d.winner, 0);
  // two millisecond clocks decide to the millisecond
  d = DecideField(TwoWayAt("2026-01-01T10:00:00.100Z", 1, "2026-01-01T10:00:00.200Z", 1));
  EXPECT_EQ(d.winner, 1);
}

TEST(Reconcile, SaysWhenARecordsTimeStoodForAFields) {
  FieldInput in = TwoWayAt("2026-01-01T10:00:05.000Z", 1000, "2026-01-01T10:00:03.000Z", 1);
  FieldDecision d = DecideField(in);
  EXPECT_TRUE(d.by_record_time) << "Salesforce's side is its record's time";
  EXPECT_NE(d.why.find("salesforce, by its record's time"), std::string::npos) << d.why;
  // the stamp of the pass that first saw the change is named as such
  in.changed_at = [](int s) {
    ChangeTime t{s == 0 ? "2026-01-01T10:00:01.000Z" : "2026-01-01T10:00:03.000Z", s == 0 ? 1000 : 1, s == 1};
    t.first_seen = s == 0;
    return t;
  };
  d = DecideField(in);
  EXPECT_EQ(d.winner, 1);
  EXPECT_TRUE(d.by_record_time);
  EXPECT_NE(d.why.find("when a pass first saw the change"), std::string::npos) << d.why;
  // both fields' own times: exact, nothing to note
  in.changed_at = [](int s) {
    return ChangeTime{s == 0 ? "2026-01-01T10:00:01Z" : "2026-01-01T10:00:03Z", 1000, true};
  };
  EXPECT_FALSE(DecideField(in).by_record_time);
}

TEST(Reconcile, StampMsReadsFractionsAndOffsets) {
  EXPECT_EQ(StampMs("1970-01-01T00:00:01.5Z"), 1500) << "\".5\" is half a second, not 5 ms";
  EXPECT_EQ(StampMs("1970-01-01T00:00:01.123456Z"), 1123);
  EXPECT_EQ(StampMs("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(StampMs("1970-01-01T01:00:00.000+0100"), 0) << "Salesforce writes +0000-style offsets";
  EXPECT_EQ(StampMs("1969-12-31T23:00:00-01:00"), 0);
  int prec = 0;
  StampMs("2026-01-01T10:00:00.000+0000", &prec);
  EXPECT_EQ(prec, 1000);
  StampMs("2026-01-01T10:00:00.042Z", &prec);
  EXPECT_EQ(prec, 1);
  EXPECT_EQ(StampMs("not a time"), 0);
}

// Every base x current values x policy x flow: a decision applied (the write
// lands, the shadows move) and decided again writes nothing and finds no
// conflict — one pass converges, nothing ping-pongs; and under `blank ignore`
// a blank never overwrites a value.
TEST(Reconcile, ADecisionAppliedDecidesNothingMore) {
  std::vector<Text> values = {std::nullopt, Text(""), Text("a"), Text("b"), Text("c")};
  std::vector<ir::ConflictPolicy> policies = {kTwoWay,
                                              Policy(ir::ConflictKind::kPrefer, schema::System::kSalesforce),
                                              Policy(ir::ConflictKind::kPrefer, schema::System::kHubSpot),
                                              Policy(ir::ConflictKind::kPreferUnlessBlank, schema::System::kSalesforce),
                                              Policy(ir::ConflictKind::kPreferUnlessBlank, schema::System::kHubSpot),
                                              Policy(ir::ConflictKind::kDontSync)};
  int cases = 0;
  for (int has = 0; has < 2; ++has)
    for (const Text& b0 : values)
      for (const Text& b1 : values) {
        if (!has && (b0 || b1)) continue;
        if (has && !((IsBlank(b0) && IsBlank(b1)) || b0 == b1)) continue;  // shadows hold an agreed pair
        for (const Text& c0 : values)
          for (const Text& c1 : values)
            for (const auto& policy : policies)
              for (int flow = 1; flow < 4; ++flow) {
                std::optional<std::pair<Text, Text>> base;
                if (has) base = std::make_pair(b0, b1);
                FieldInput in = Identity(base, c0, c1, policy);
                in.flows[0] = flow & 1;
                in.flows[1] = flow & 2;
                for (int i = 0; i < 2; ++i)
                  if (!in.flows[i]) in.toward[i] = Proposal{};
                FieldDecision d = DecideField(in);
                std::string what = std::to_string(has) + " base " + b0.value_or("null") + "/" + b1.value_or("null") +
                                   " cur " + c0.value_or("null") + "/" + c1.value_or("null") + " policy " +
                                   std::to_string(static_cast<int>(policy.kind)) + " flow " + std::to_string(flow);
                // under blank ignore a blank is never written over a value
                if (d.write_to >= 0) EXPECT_FALSE(IsBlank(d.value) && !IsBlank(in.cur[d.write_to])) << what;
                Text next[2] = {c0, c1};
                if (d.write_to >= 0) next[d.write_to] = d.value;
                Text nb[2] = {in.base[0], in.base[1]};
                bool nhas = in.has_base;
                if (d.write_to >= 0 || d.base_moves) nb[0] = d.base[0], nb[1] = d.base[1], nhas = true;
                std::optional<std::pair<Text, Text>> nbase;
                if (nhas) nbase = std::make_pair(nb[0], nb[1]);
                FieldInput again = Identity(nbase, next[0], next[1], policy);
                again.flows[0] = in.flows[0];
                again.flows[1] = in.flows[1];
                for (int i = 0; i < 2; ++i)
                  if (!again.flows[i]) again.toward[i] = Proposal{};
                FieldDecision d2 = DecideField(again);
                EXPECT_EQ(d2.write_to, -1) << what;
                EXPECT_FALSE(d2.conflict) << what;
                ++cases;
              }
      }
  EXPECT_GT(cases, 1000);
}

}  // namespace
}  // namespace accord::sync
