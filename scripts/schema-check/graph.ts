import { type Change, ChangeType, CriticalityLevel, diff, DiffRule } from '@graphql-inspector/core';
import { getNamedType, type GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isUnionType } from 'graphql';
import { type Finding, reporter } from './findings';

const { error, warning, info } = reporter('graph');

/**
 * A type cannot be deprecated itself: it was on its way out when every field, argument and input field of the base
 * that used it was deprecated, and no union or implementation still held it.
 */
function onlyDeprecatedUses(typeName: string, base: GraphQLSchema): boolean {
  const uses = (type: Parameters<typeof getNamedType>[0]) => getNamedType(type)?.name === typeName;
  return Object.values(base.getTypeMap()).every((type) => {
    if (isUnionType(type)) return !type.getTypes().some((member) => member.name === typeName);
    if (isObjectType(type) || isInterfaceType(type)) {
      return (
        !type.getInterfaces().some((implemented) => implemented.name === typeName) &&
        Object.values(type.getFields()).every(
          (field) =>
            Boolean(field.deprecationReason) ||
            (!uses(field.type) && field.args.every((arg) => Boolean(arg.deprecationReason) || !uses(arg.type))),
        )
      );
    }
    if (isInputObjectType(type)) {
      return Object.values(type.getFields()).every((field) => Boolean(field.deprecationReason) || !uses(field.type));
    }
    return true;
  });
}

/**
 * Whether the element a breaking removal took away had been @deprecated in the base: deprecate first, remove in a
 * later change, and the removal is only a warning (persisted operations that still use it fail on their own).
 */
function removedWhileDeprecated(change: Change, base: GraphQLSchema): boolean {
  const [typeName, member, argument] = (change.path ?? '').split('.');
  const type = base.getType(typeName);
  switch (change.type) {
    case ChangeType.TypeRemoved:
      return onlyDeprecatedUses(typeName, base);
    case ChangeType.FieldRemoved:
      return (isObjectType(type) || isInterfaceType(type)) && Boolean(type.getFields()[member]?.deprecationReason);
    case ChangeType.InputFieldRemoved:
      return isInputObjectType(type) && Boolean(type.getFields()[member]?.deprecationReason);
    case ChangeType.EnumValueRemoved:
      return isEnumType(type) && Boolean(type.getValue(member)?.deprecationReason);
    case ChangeType.FieldArgumentRemoved:
      return (
        (isObjectType(type) || isInterfaceType(type)) &&
        Boolean(type.getFields()[member]?.args.find((arg) => arg.name === argument)?.deprecationReason)
      );
    default:
      return false;
  }
}

function advice(change: Change): string {
  if (change.type === ChangeType.TypeRemoved) return 'deprecate every field that uses it first, remove it in a later change';
  if (change.type.endsWith('_REMOVED')) return 'mark it @deprecated(reason: "...") first, remove it in a later change';
  return 'add the new shape beside the old one and deprecate the old one';
}

/**
 * The base API schema against the working tree's, by @graphql-inspector/core: breaking changes (removed or renamed
 * types and fields, changed types, stricter inputs, looser outputs, removed enum values) are errors, dangerous
 * ones warnings, the rest information.
 */
export async function checkGraph(base: GraphQLSchema | string, next: GraphQLSchema | undefined): Promise<Finding[]> {
  if (!next) return [info('not compared with the base: the working tree does not compose')];
  if (typeof base === 'string') return [warning(`not compared with the base: ${base}`)];

  const changes = await diff(base, next, [DiffRule.simplifyChanges]);
  if (!changes.length) return [info('the API schema is unchanged')];
  return changes.map((change) => {
    const where = change.path ? ` (${change.path})` : '';
    switch (change.criticality.level) {
      case CriticalityLevel.Breaking:
        return removedWhileDeprecated(change, base)
          ? warning(`${change.message}${where}: it was deprecated, so clients had notice`)
          : error(`${change.message}${where}: breaking; ${advice(change)}`);
      case CriticalityLevel.Dangerous:
        return warning(`${change.message}${where}${change.criticality.reason ? `: ${change.criticality.reason}` : ''}`);
      default:
        return info(`${change.message}${where}`);
    }
  });
}
