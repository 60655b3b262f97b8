// Value on its own: it prints, compares, indexes, adds and fails the way Python's objects do. The expected texts
// are what Python 3 prints. (Values crossing between processes are tested with each transport.)
#include "test_support.hpp"

using namespace forkscope;

using forkscope::testing::error_of;

TEST(ValueTest, ReprAndStrAreWhatPythonPrints) {
  for (const auto& [value, python_repr] : forkscope::testing::value_samples()) EXPECT_EQ(value.repr(), python_repr);
  EXPECT_EQ(Value("a'b\"c\\").repr(), R"('a\'b"c\\')");  // both quotes: single, escaped
  EXPECT_EQ(Value("tab\there\x01").repr(), R"('tab\there\x01')");
  EXPECT_EQ(Value("\xc2\xa0" "é").repr(), R"('\xa0é')");  // no-break space is not printable, é is
  EXPECT_EQ(Value::bytes("it's").repr(), R"(b"it's")");
  EXPECT_EQ(Value(2.0).repr(), "2.0");
  EXPECT_EQ(Value(1e16).repr(), "1e+16");
  // str() differs from repr() only for a str itself; containers show their items' repr.
  EXPECT_EQ(Value("a").str(), "a");
  EXPECT_EQ(Value::list({"a"}).str(), "['a']");
  EXPECT_EQ(Value::bytes("a").str(), "b'a'");
  EXPECT_EQ(Value(true).str(), "True");
  EXPECT_EQ(fmt::format("{}", Value::tuple({None, false})), "(None, False)");
}

TEST(ValueTest, EqualityFollowsPython) {
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_EQ(Value(true), Value(1));
  EXPECT_EQ(Value(false), Value(0.0));
  EXPECT_NE(Value(true), Value(2));
  EXPECT_NE(Value(1), Value("1"));
  EXPECT_NE(Value("a"), Value::bytes("a"));
  EXPECT_NE(Value::tuple({1, 2}), Value::list({1, 2}));
  EXPECT_EQ(Value::list({1, Value::tuple({2})}), Value::list({1.0, Value::tuple({2})}));
  EXPECT_EQ(Value::dict({{"a", 1}, {"b", 2}}), Value::dict({{"b", 2}, {"a", 1}}));  // order does not matter
  EXPECT_NE(Value::dict({{"a", 1}}), Value::dict({{"a", 2}}));
  EXPECT_NE(Value(9007199254740993), Value(9007199254740992.0));  // exact, not after rounding to a double
  EXPECT_NE(Value(None), Value(0));
}

TEST(ValueTest, DictKeysAreHashableAndUniqueInInsertionOrder) {
  // {'a': 1, 1: 'x', 'a': 2, True: 'y'}: a repeated key keeps its place and takes the last value; True == 1.
  const Value d = Value::dict({{"a", 1}, {1, "x"}, {"a", 2}, {true, "y"}});
  EXPECT_EQ(d.repr(), "{'a': 2, 1: 'y'}");
  EXPECT_EQ(d[1.0].as_str(), "y");
  EXPECT_EQ(d.len(), 2);
  EXPECT_EQ(error_of([&] { (void)d["missing"]; }), "KeyError: 'missing'");
  EXPECT_EQ(error_of([] { (void)Value::dict({{Value::list({}), 1}}); }), "TypeError: unhashable type: 'list'");
  EXPECT_EQ(error_of([] { (void)Value::dict({{Value::tuple({Value::dict()}), 1}}); }), "TypeError: unhashable type: 'tuple'");
  EXPECT_TRUE(Value::tuple({1, "a", Value::bytes("b")}).is_hashable());
}

TEST(ValueTest, IndexingCountsFromTheEndAndRaisesIndexError) {
  Value l = Value::list({"a", "b", "c"});
  EXPECT_EQ(l[0].as_str(), "a");
  EXPECT_EQ(l[-1].as_str(), "c");
  EXPECT_EQ(l[true].as_str(), "b");  // True is 1, as in Python
  EXPECT_EQ(error_of([&] { (void)l[3]; }), "IndexError: list index out of range");
  EXPECT_EQ(error_of([&] { (void)l[-4]; }), "IndexError: list index out of range");
  EXPECT_EQ(error_of([&] { (void)Value::tuple({})[0]; }), "IndexError: tuple index out of range");
  EXPECT_EQ(error_of([&] { (void)l["0"]; }), "TypeError: list indices must be integers or slices, not str");
  l.set_item(-1, Value::bytes("z"));
  l.as_list().push_back(None);
  EXPECT_EQ(l.repr(), "['a', 'b', b'z', None]");
  EXPECT_EQ(error_of([&] { l.set_item(4, 1); }), "IndexError: list assignment index out of range");
  EXPECT_EQ(error_of([] { Value::tuple({1}).set_item(0, 2); }), "TypeError: 'tuple' object does not support item assignment");
  EXPECT_EQ(Value("包子").len(), 2);  // characters, not bytes
  EXPECT_EQ(error_of([] { (void)Value(3).len(); }), "TypeError: object of type 'int' has no len()");
}

TEST(ValueTest, AccessorsRaiseLikeAFailedConversion) {
  EXPECT_TRUE(Value(true).is_bool());
  EXPECT_FALSE(Value(true).is_int());
  EXPECT_EQ(Value(true).as_int(), 1);
  EXPECT_EQ(Value(3).as_float(), 3.0);
  EXPECT_EQ(error_of([] { (void)Value("x").as_int(); }), "ValueError: expected an int, got 'x'");
  EXPECT_EQ(error_of([] { (void)Value(1).as_bool(); }), "ValueError: expected a bool, got 1");
  EXPECT_EQ(error_of([] { (void)Value(None).as_int(); }), "TypeError: expected an int, got None");
  EXPECT_EQ(error_of([] { (void)Value::list({1}).as_str(); }), "TypeError: expected a str, got [1]");
  EXPECT_EQ(error_of([] { (void)Value::list({1}).as_tuple(); }), "TypeError: expected a tuple, got [1]");
  EXPECT_EQ(error_of([] { (void)Value("b").as_bytes(); }), "ValueError: expected bytes, got 'b'");
  EXPECT_EQ(Value::tuple({1}).type_name(), "tuple");
}

TEST(ValueTest, PlusAddsNumbersAndConcatenatesSequences) {
  EXPECT_EQ((Value(true) + Value(1)).repr(), "2");
  EXPECT_EQ((Value(1) + Value(0.5)).repr(), "1.5");
  EXPECT_EQ((Value(1) - Value(3)).repr(), "-2");
  EXPECT_EQ((Value("ab") + Value("c")).repr(), "'abc'");
  EXPECT_EQ((Value::tuple({1}) + Value::tuple({2})).repr(), "(1, 2)");
  EXPECT_EQ((Value::list({1}) + Value::list({"a"})).repr(), "[1, 'a']");
  EXPECT_EQ((Value::bytes("a") + Value::bytes("b")).repr(), "b'ab'");
  EXPECT_EQ(error_of([] { (void)(Value(1) + Value("a")); }), "TypeError: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(error_of([] { (void)(Value::list({}) + Value::tuple({})); }),
            "TypeError: unsupported operand type(s) for +: 'list' and 'tuple'");
  EXPECT_EQ(error_of([] { (void)(Value(INT64_MAX) + Value(1)); }),
            "ValueError: 9223372036854775807 + 1 does not fit in a 64-bit int");
}
